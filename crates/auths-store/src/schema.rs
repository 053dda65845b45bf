//! The tables, as diesel sees them. Written by hand to match both backends' migrations
//! (`migrations/sqlite`, `migrations/postgres`): the column types are the ones both
//! share. `catalog_entries` and `auths` declare their text id and numeric id as diesel's
//! key where that is what the code joins on.

diesel::table! {
    catalog_entries (id) {
        number -> BigInt,
        id -> Text,
        kind -> Text,
        label -> Text,
        label_key -> Text,
        item_key -> Nullable<Text>,
        item_value -> Nullable<Text>,
        secret -> Bool,
        sealed_value -> Nullable<Text>,
        seeded -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        homed -> Bool,
        description -> Nullable<Text>,
        fingerprint -> Nullable<Text>,
    }
}

diesel::table! {
    /// The departments an unused entry belongs to (when it is `homed`).
    entry_homes (entry_id, department_id) {
        entry_id -> Text,
        department_id -> Text,
    }
}

diesel::table! {
    auths (number) {
        number -> BigInt,
        auth_id -> Text,
        group_id -> Text,
        name_id -> Text,
        description_id -> Nullable<Text>,
        flag_id -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        created_by -> Text,
        updated_by -> Text,
        name_key -> Text,
    }
}

diesel::table! {
    auth_links (auth_number, kind, entry_id) {
        auth_number -> BigInt,
        kind -> Text,
        entry_id -> Text,
    }
}

diesel::joinable!(auth_links -> auths (auth_number));
diesel::joinable!(auth_links -> catalog_entries (entry_id));
diesel::allow_tables_to_appear_in_same_query!(catalog_entries, auths, auth_links);

diesel::table! {
    principals (id) {
        number -> BigInt,
        id -> Text,
        name -> Text,
        role -> Text,
        allow_mcp_writes -> Bool,
        key_lookup -> Text,
        key_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    principal_departments (principal_id, entry_id) {
        principal_id -> Text,
        entry_id -> Text,
    }
}

diesel::joinable!(principal_departments -> principals (principal_id));
diesel::joinable!(principal_departments -> catalog_entries (entry_id));
diesel::allow_tables_to_appear_in_same_query!(principals, principal_departments, catalog_entries);

diesel::table! {
    audit_log (number) {
        number -> BigInt,
        at -> Timestamp,
        actor_id -> Text,
        actor_name -> Text,
        channel -> Text,
        operation -> Text,
        auth_id -> Nullable<Text>,
        before -> Nullable<Text>,
        after -> Nullable<Text>,
        client -> Nullable<Text>,
    }
}

diesel::table! {
    audit_departments (audit_number, entry_id) {
        audit_number -> BigInt,
        entry_id -> Text,
    }
}

diesel::joinable!(audit_departments -> audit_log (audit_number));
diesel::allow_tables_to_appear_in_same_query!(audit_log, audit_departments);

diesel::table! {
    drafts (draft_id) {
        draft_id -> Text,
        owner_id -> Text,
        auth_id -> Nullable<Text>,
        base_version -> Nullable<BigInt>,
        version -> BigInt,
        draft_values -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    uploads (upload_id) {
        upload_id -> Text,
        owner_id -> Text,
        file_name -> Text,
        row_count -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    data_generation (id) {
        id -> Integer,
        value -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(drafts, auths);
diesel::allow_tables_to_appear_in_same_query!(drafts, auth_links);

diesel::table! {
    sealing_key (id) {
        id -> Integer,
        key_id -> Text,
    }
}

diesel::table! {
    /// Every published version of an auth (its content as JSON).
    auth_versions (auth_id, version) {
        auth_id -> Text,
        version -> BigInt,
        at -> Timestamp,
        actor_name -> Text,
        channel -> Text,
        operation -> Text,
        content -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(auths, auth_versions);

diesel::table! {
    search_log (generation, auth_number) {
        generation -> BigInt,
        auth_number -> BigInt,
    }
}

diesel::table! {
    search_log_floor (id) {
        id -> Integer,
        generation -> BigInt,
    }
}
