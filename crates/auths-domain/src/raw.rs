//! Auth fields as text, as clients send them, and their parsing into domain values.

use crate::auth::{AuthFields, DescriptionChoice, NameChoice};
use crate::draft::DraftValues;
use crate::error::{FieldProblem, Invalid};
use crate::ids::EntryId;
use crate::values::{AuthName, Description};

/// The auth fields as text, each optional (absent = not given).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawFields {
    /// Name as text.
    pub name: Option<String>,
    /// Name as an id.
    pub name_id: Option<String>,
    /// Description as text (blank: no description).
    pub description: Option<String>,
    /// Description as an id.
    pub description_id: Option<String>,
    /// Flag id.
    pub flag_id: Option<String>,
    /// Protocol ids.
    pub protocol_ids: Option<Vec<String>>,
    /// Slug ids.
    pub slug_ids: Option<Vec<String>>,
    /// Item ids.
    pub item_ids: Option<Vec<String>>,
    /// Department ids.
    pub department_ids: Option<Vec<String>>,
    /// Location ids.
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

impl RawFields {
    /// The domain's fields, or every problem found, by field.
    ///
    /// # Errors
    /// Values the domain rejects; a name (or description) given both as text and id.
    pub fn parse(&self) -> Result<AuthFields, Invalid> {
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

impl DraftValues {
    /// The values as a complete set of raw fields (a description not set is "none").
    pub fn to_raw(&self) -> RawFields {
        RawFields {
            name: self.name.clone(),
            name_id: self.name_id.clone(),
            description: match (&self.description, &self.description_id) {
                (None, None) => Some(String::new()),
                (d, _) => d.clone(),
            },
            description_id: self.description_id.clone(),
            flag_id: self.flag_id.clone(),
            protocol_ids: Some(self.protocol_ids.clone()),
            slug_ids: Some(self.slug_ids.clone()),
            item_ids: Some(self.item_ids.clone()),
            department_ids: Some(self.department_ids.clone()),
            location_ids: Some(self.location_ids.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_reported_by_field() {
        let f = RawFields {
            name: Some(" ".into()),
            description: Some("d".repeat(5000)),
            protocol_ids: Some(vec!["ok".into(), "not ok".into()]),
            ..RawFields::default()
        };
        let fields: Vec<_> = f
            .parse()
            .unwrap_err()
            .problems
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(fields, ["name", "description", "protocol_ids"]);
        let both = RawFields {
            name: Some("a".into()),
            name_id: Some("b".into()),
            ..RawFields::default()
        };
        assert_eq!(both.parse().unwrap_err().problems[0].field, "name");
        let blank = RawFields {
            description: Some("  ".into()),
            ..RawFields::default()
        };
        assert_eq!(blank.parse().unwrap().description, Some(None));
    }

    #[test]
    fn draft_values_parse_as_a_complete_set() {
        let v = DraftValues {
            name: Some("X".into()),
            protocol_ids: vec!["protocol-ldap".into()],
            ..DraftValues::default()
        };
        let f = v.to_raw().parse().unwrap();
        assert_eq!(f.description, Some(None), "no description means none");
        assert_eq!(f.slug_ids, Some(vec![]));
        assert!(f.require_complete().is_ok());
    }
}
