//! The auth fields as clients send them, and their conversion to domain values.
//!
//! Types and unknown fields are checked by serde (400); values the domain rejects are
//! collected by the domain's `RawFields::parse`, all at once, by field (422).

/// Declares a request struct that carries the auth fields besides its own, and
/// `auth_fields()` to take them out. One list of fields for create and update, without
/// `#[serde(flatten)]`, which would lose the path of a type error inside them.
macro_rules! with_auth_fields {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
            pub name: Option<String>,
            pub name_id: Option<String>,
            pub description: Option<String>,
            pub description_id: Option<String>,
            pub flag_id: Option<String>,
            pub protocol_ids: Option<Vec<String>>,
            pub slug_ids: Option<Vec<String>>,
            pub item_ids: Option<Vec<String>>,
            pub department_ids: Option<Vec<String>>,
            pub location_ids: Option<Vec<String>>,
        }

        impl $name {
            /// The auth fields of this request, as text.
            pub fn auth_fields(&self) -> auths_domain::RawFields {
                auths_domain::RawFields {
                    name: self.name.clone(),
                    name_id: self.name_id.clone(),
                    description: self.description.clone(),
                    description_id: self.description_id.clone(),
                    flag_id: self.flag_id.clone(),
                    protocol_ids: self.protocol_ids.clone(),
                    slug_ids: self.slug_ids.clone(),
                    item_ids: self.item_ids.clone(),
                    department_ids: self.department_ids.clone(),
                    location_ids: self.location_ids.clone(),
                }
            }
        }
    };
}
pub(crate) use with_auth_fields;

/// What a create or update item asks for: a draft to publish (`draft_id`, which must
/// come alone) or the given fields. An id that cannot be a draft's names no draft: 404.
///
/// # Errors
/// `Invalid` for `draft_id` with fields, or for fields the domain rejects; `NotFound`
/// for a malformed draft id.
pub fn draft_or_fields(
    draft_id: Option<&str>,
    raw: auths_domain::RawFields,
) -> Result<auths_app::NewAuthSource, auths_app::AppError> {
    use auths_app::{AppError, NewAuthSource};
    match draft_id {
        Some(_) if raw != auths_domain::RawFields::default() => Err(AppError::invalid(
            "draft_id",
            "give draft_id alone, or the fields, not both",
        )),
        Some(d) => auths_domain::DraftId::parse(d)
            .map(NewAuthSource::Draft)
            .map_err(|_| AppError::NotFound(format!("draft {d} not found"))),
        None => Ok(NewAuthSource::Fields(raw.parse()?)),
    }
}
