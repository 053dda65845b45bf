-- A location or an organization keeps a description (foreman-v2 spec: taxonomies
-- render {id, name, title, description}; the Ansible collection sets it). NULL for
-- other entries and for a taxonomy without one.
ALTER TABLE catalog_entries ADD COLUMN description TEXT;
