//! The auth fields as clients send them, and their conversion to domain values.
//!
//! Types and unknown fields are checked by serde (400); values the domain rejects are
//! collected here, all at once, by field (422).

use auths_domain::{
    AuthFields, AuthName, Description, DescriptionChoice, EntryId, FieldProblem, Invalid,
    NameChoice,
};
use serde::Deserialize;

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
            /// The auth fields of this request.
            pub fn auth_fields(&self) -> $crate::v5::fields::AuthFieldsIn {
                $crate::v5::fields::AuthFieldsIn {
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

/// The fields of a create item (and of the published part of an update).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthFieldsIn {
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

fn id(field: &str, raw: &str, problems: &mut Vec<FieldProblem>) -> Option<EntryId> {
    EntryId::parse(raw)
        .map_err(|e| problems.extend(e.for_field(field).problems))
        .ok()
}

fn ids(
    field: &str,
    raw: Option<&Vec<String>>,
    problems: &mut Vec<FieldProblem>,
) -> Option<Vec<EntryId>> {
    raw.map(|list| list.iter().filter_map(|r| id(field, r, problems)).collect())
}

impl AuthFieldsIn {
    /// The domain's fields, or every problem found.
    ///
    /// # Errors
    /// Values the domain rejects, by field.
    pub fn to_domain(&self) -> Result<AuthFields, Invalid> {
        let mut problems = Vec::new();
        let name = match (&self.name, &self.name_id) {
            (Some(_), Some(_)) => {
                problems.push(FieldProblem::new(
                    "name",
                    "give either name or name_id, not both",
                ));
                None
            }
            (Some(n), None) => AuthName::parse(n)
                .map(NameChoice::Text)
                .map_err(|e| problems.extend(e.problems))
                .ok(),
            (None, Some(i)) => id("name_id", i, &mut problems).map(NameChoice::Id),
            (None, None) => None,
        };
        let description = match (&self.description, &self.description_id) {
            (Some(_), Some(_)) => {
                problems.push(FieldProblem::new(
                    "description",
                    "give either description or description_id, not both",
                ));
                None
            }
            (Some(d), None) => match Description::parse(d) {
                Ok(d) => Some(d.map(DescriptionChoice::Text)),
                Err(e) => {
                    problems.extend(e.problems);
                    None
                }
            },
            (None, Some(i)) => {
                id("description_id", i, &mut problems).map(|i| Some(DescriptionChoice::Id(i)))
            }
            (None, None) => None,
        };
        let fields = AuthFields {
            name,
            description,
            flag_id: self
                .flag_id
                .as_deref()
                .and_then(|f| id("flag_id", f, &mut problems)),
            protocol_ids: ids("protocol_ids", self.protocol_ids.as_ref(), &mut problems),
            slug_ids: ids("slug_ids", self.slug_ids.as_ref(), &mut problems),
            item_ids: ids("item_ids", self.item_ids.as_ref(), &mut problems),
            department_ids: ids(
                "department_ids",
                self.department_ids.as_ref(),
                &mut problems,
            ),
            location_ids: ids("location_ids", self.location_ids.as_ref(), &mut problems),
        };
        Invalid::check(problems).map(|()| fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_reported_by_field() {
        let f = AuthFieldsIn {
            name: Some(" ".into()),
            description: Some("d".repeat(5000)),
            protocol_ids: Some(vec!["ok".into(), "not ok".into()]),
            ..AuthFieldsIn::default()
        };
        let fields: Vec<_> = f
            .to_domain()
            .unwrap_err()
            .problems
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(fields, ["name", "description", "protocol_ids"]);
        let both = AuthFieldsIn {
            name: Some("a".into()),
            name_id: Some("b".into()),
            ..AuthFieldsIn::default()
        };
        assert_eq!(both.to_domain().unwrap_err().problems[0].field, "name");
        let blank_description = AuthFieldsIn {
            description: Some("  ".into()),
            ..AuthFieldsIn::default()
        };
        assert_eq!(
            blank_description.to_domain().unwrap().description,
            Some(None)
        );
    }
}
