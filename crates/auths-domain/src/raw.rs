//! The fields of an auth in text form, as clients send them: one list of fields,
//! generic over how each field is carried, so that a create or update item
//! ([`RawFields`]), a draft's values ([`crate::DraftValues`]) and a draft patch
//! ([`crate::DraftPatch`]) are the same ten fields.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::auth::{AuthFields, DescriptionChoice, NameChoice};
use crate::error::{FieldProblem, Invalid, Rule};
use crate::ids::EntryId;
use crate::values::{AuthName, Description};

/// The ten fields of an auth in text form. `One` carries a single value (`name`,
/// `flag_id`, ...), `Many` a list (`protocol_ids`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Fields<One, Many> {
    /// Name as text.
    pub name: One,
    /// Name as a catalog id.
    pub name_id: One,
    /// Description as text (blank: no description).
    pub description: One,
    /// Description as a catalog id.
    pub description_id: One,
    /// Flag id.
    pub flag_id: One,
    /// Protocol ids.
    pub protocol_ids: Many,
    /// Slug ids.
    pub slug_ids: Many,
    /// Item ids.
    pub item_ids: Many,
    /// Department ids.
    pub department_ids: Many,
    /// Location ids.
    pub location_ids: Many,
}

/// The field of `$fields` named `$key`, borrowed with `$($borrow)*`: the one place the
/// ten names meet the ten fields.
macro_rules! by_name {
    ($fields:ident, $key:ident, $($borrow:tt)*) => {
        Some(match $key {
            "name" => Ok($($borrow)* $fields.name),
            "name_id" => Ok($($borrow)* $fields.name_id),
            "description" => Ok($($borrow)* $fields.description),
            "description_id" => Ok($($borrow)* $fields.description_id),
            "flag_id" => Ok($($borrow)* $fields.flag_id),
            "protocol_ids" => Err($($borrow)* $fields.protocol_ids),
            "slug_ids" => Err($($borrow)* $fields.slug_ids),
            "item_ids" => Err($($borrow)* $fields.item_ids),
            "department_ids" => Err($($borrow)* $fields.department_ids),
            "location_ids" => Err($($borrow)* $fields.location_ids),
            _ => return None,
        })
    };
}

/// The names of the single-valued fields, in order.
pub const ONE_FIELDS: [&str; 5] = [
    "name",
    "name_id",
    "description",
    "description_id",
    "flag_id",
];
/// The names of the list fields, in order.
pub const MANY_FIELDS: [&str; 5] = [
    "protocol_ids",
    "slug_ids",
    "item_ids",
    "department_ids",
    "location_ids",
];

impl<One, Many> Fields<One, Many> {
    /// The field's slot, by name: `Ok` for a single-valued field, `Err` for a list.
    fn slot(&mut self, key: &str) -> Option<Result<&mut One, &mut Many>> {
        by_name!(self, key, &mut)
    }

    /// The field named `key`: `Ok` for a single-valued field, `Err` for a list.
    pub fn field(&self, key: &str) -> Option<Result<&One, &Many>> {
        by_name!(self, key, &)
    }

    /// Reads the value of `key` from `map` into its field, if `key` is one of the ten;
    /// answers whether it was. Request types that carry these fields beside their own
    /// read them through this, so that the list of fields is written once and the path
    /// of a type error still names the field.
    ///
    /// # Errors
    /// The value's own deserialization error.
    pub fn read_field<'de, A>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error>
    where
        A: MapAccess<'de>,
        One: Deserialize<'de>,
        Many: Deserialize<'de>,
    {
        match self.slot(key) {
            None => Ok(false),
            Some(Ok(one)) => {
                *one = map.next_value()?;
                Ok(true)
            }
            Some(Err(many)) => {
                *many = map.next_value()?;
                Ok(true)
            }
        }
    }

    /// Each field with its name, the lists mapped by `many` and the others by `one`.
    pub fn map<O2, M2>(
        self,
        mut one: impl FnMut(One) -> O2,
        mut many: impl FnMut(Many) -> M2,
    ) -> Fields<O2, M2> {
        Fields {
            name: one(self.name),
            name_id: one(self.name_id),
            description: one(self.description),
            description_id: one(self.description_id),
            flag_id: one(self.flag_id),
            protocol_ids: many(self.protocol_ids),
            slug_ids: many(self.slug_ids),
            item_ids: many(self.item_ids),
            department_ids: many(self.department_ids),
            location_ids: many(self.location_ids),
        }
    }

    /// The lists with their field names.
    pub fn lists(&self) -> [(&'static str, &Many); 5] {
        [
            (MANY_FIELDS[0], &self.protocol_ids),
            (MANY_FIELDS[1], &self.slug_ids),
            (MANY_FIELDS[2], &self.item_ids),
            (MANY_FIELDS[3], &self.department_ids),
            (MANY_FIELDS[4], &self.location_ids),
        ]
    }
}

impl<'de, One, Many> Deserialize<'de> for Fields<One, Many>
where
    One: Deserialize<'de> + Default,
    Many: Deserialize<'de> + Default,
{
    /// An object of the ten fields, each optional (absent: its default); any other
    /// field is refused.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<O, M>(std::marker::PhantomData<(O, M)>);
        impl<'de, O: Deserialize<'de> + Default, M: Deserialize<'de> + Default> Visitor<'de> for V<O, M> {
            type Value = Fields<O, M>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of auth fields")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Fields::<O, M>::default();
                while let Some(key) = map.next_key::<String>()? {
                    if !out.read_field(&key, &mut map)? {
                        return Err(de::Error::unknown_field(&key, &ALL_FIELDS));
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// Every field name, singles then lists.
pub const ALL_FIELDS: [&str; 10] = [
    ONE_FIELDS[0],
    ONE_FIELDS[1],
    ONE_FIELDS[2],
    ONE_FIELDS[3],
    ONE_FIELDS[4],
    MANY_FIELDS[0],
    MANY_FIELDS[1],
    MANY_FIELDS[2],
    MANY_FIELDS[3],
    MANY_FIELDS[4],
];

/// The auth fields as text, each optional (absent = not given): what a create or
/// update item carries.
pub type RawFields = Fields<Option<String>, Option<Vec<String>>>;

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

fn either_or(one: &str, other: &str) -> FieldProblem {
    FieldProblem::new(
        one,
        Rule::EitherOr {
            one: one.to_owned(),
            other: other.to_owned(),
        },
    )
}

impl RawFields {
    /// Whether no field is given.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The domain's fields, or every problem found, by field.
    ///
    /// # Errors
    /// Values the domain rejects; a name (or description) given both as text and id.
    pub fn parse(&self) -> Result<AuthFields, Invalid> {
        let mut problems = Vec::new();
        let name = match (&self.name, &self.name_id) {
            (Some(_), Some(_)) => {
                problems.push(either_or("name", "name_id"));
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
                problems.push(either_or("description", "description_id"));
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
        let flag_id = self
            .flag_id
            .as_deref()
            .and_then(|f| id("flag_id", f, &mut problems));
        let [p, s, i, d, l] = self
            .lists()
            .map(|(field, list)| ids(field, list.as_ref(), &mut problems));
        let fields = AuthFields {
            name,
            description,
            flag_id,
            protocol_ids: p,
            slug_ids: s,
            item_ids: i,
            department_ids: d,
            location_ids: l,
        };
        Invalid::check(problems).map(|()| fields)
    }

    /// The same fields without those `problems` name, so that what remains can be
    /// checked further (a form shows every problem at once). A dropped description
    /// reads as "none".
    #[must_use]
    pub fn without(mut self, problems: &[FieldProblem]) -> Self {
        for p in problems {
            match p.field.as_str() {
                "name" | "name_id" => (self.name, self.name_id) = (None, None),
                "description" | "description_id" => {
                    (self.description, self.description_id) = (Some(String::new()), None);
                }
                "flag_id" => self.flag_id = None,
                field => {
                    if let Some(Err(list)) = self.slot(field) {
                        *list = Some(Vec::new());
                    }
                }
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::draft::DraftValues;

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
    fn the_fields_are_the_sections_fields() {
        use crate::section::Section;
        let mut from_sections: Vec<&str> = Section::ALL
            .into_iter()
            .flat_map(|s| s.text_field().into_iter().chain([s.ids_field()]))
            .collect();
        let mut fields = ALL_FIELDS.to_vec();
        from_sections.sort_unstable();
        fields.sort_unstable();
        assert_eq!(from_sections, fields);
        let f = RawFields::default();
        assert!(ALL_FIELDS.iter().all(|n| f.field(n).is_some()));
        for s in Section::ALL {
            assert_eq!(
                matches!(f.field(s.ids_field()), Some(Err(_))),
                s.is_many(),
                "{s}"
            );
        }
    }

    #[test]
    fn fields_deserialize_by_name_and_refuse_others() {
        let f: RawFields =
            serde_json::from_str(r#"{"name": "X", "slug_ids": ["a"], "flag_id": null}"#).unwrap();
        assert_eq!(f.name.as_deref(), Some("X"));
        assert_eq!(f.slug_ids, Some(vec!["a".to_owned()]));
        assert_eq!(f.flag_id, None);
        let e = serde_json::from_str::<RawFields>(r#"{"nme": "X"}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field"), "{e}");
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
