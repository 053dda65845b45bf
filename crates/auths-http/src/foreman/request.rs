//! The bodies of the Foreman-compatible API, as serde types. Foreman ignores keys it
//! does not know, and answers a value of the wrong type as a validation failure of its
//! field, every one at once: so a field here never fails to deserialize, it records
//! what was wrong ([`Checked::Wrong`]) for the 422.

use auths_app::{ExternalChanges, Taxonomy, TaxonomyChanges};
use auths_domain::auth::MAX_SECTION_ENTRIES;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A field as sent: absent, of the right shape, or not (with what was expected).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Checked<T> {
    /// Not in the body.
    #[default]
    Absent,
    /// Of the right shape.
    Given(T),
    /// Of the wrong shape: what Foreman says of it.
    Wrong(&'static str),
}

/// How one kind of field reads a JSON value.
pub trait Shape: Sized {
    /// The value, or what Foreman says of a wrong one.
    ///
    /// # Errors
    /// The sentence for a value of the wrong shape.
    fn read(v: Value) -> Result<Self, &'static str>;
}

impl<'de, T: Shape> Deserialize<'de> for Checked<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Ok(T::read(v).map_or_else(Self::Wrong, Self::Given))
    }
}

/// A name: a string; `null` reads as blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(pub String);

impl Shape for Name {
    fn read(v: Value) -> Result<Self, &'static str> {
        match v {
            Value::String(s) => Ok(Self(s)),
            Value::Null => Ok(Self(String::new())),
            _ => Err("must be a String"),
        }
    }
}

/// A list: an array (at most a section's length) of items `item` reads, or `null` for
/// none, with the sentences for too many items and for a wrong one.
fn list<T>(
    v: Value,
    item: impl Fn(&Value) -> Option<T>,
    (too_many, wrong): (&'static str, &'static str),
) -> Result<Vec<T>, &'static str> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(a) if a.len() > MAX_SECTION_ENTRIES => Err(too_many),
        Value::Array(a) => a.iter().map(item).collect::<Option<Vec<T>>>().ok_or(wrong),
        _ => Err(wrong),
    }
}

/// Taxonomies by id: numbers, or strings of digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ids(pub Vec<i64>);

impl Shape for Ids {
    fn read(v: Value) -> Result<Self, &'static str> {
        let id = |v: &Value| match v {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        list(v, id, ("lists too many ids", "must be an array of ids")).map(Self)
    }
}

/// Taxonomies by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names(pub Vec<String>);

impl Shape for Names {
    fn read(v: Value) -> Result<Self, &'static str> {
        list(
            v,
            |v| v.as_str().map(str::to_owned),
            ("lists too many names", "must be an array of names"),
        )
        .map(Self)
    }
}

/// What an auth source external update may carry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ExternalParams {
    name: Checked<Name>,
    location_ids: Checked<Ids>,
    organization_ids: Checked<Ids>,
    location_names: Checked<Names>,
    organization_names: Checked<Names>,
}

/// The body of `PUT /api/auth_source_externals/:id`: the parameters nested in
/// `auth_source_external` (an object), or at the top.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ExternalBody {
    #[serde(default)]
    auth_source_external: Option<Value>,
    #[serde(flatten)]
    top: ExternalParams,
}

fn given<T, U>(
    field: &'static str,
    c: Checked<T>,
    take: impl FnOnce(T) -> U,
    problems: &mut Vec<(String, String)>,
) -> Option<U> {
    match c {
        Checked::Absent => None,
        Checked::Given(t) => Some(take(t)),
        Checked::Wrong(why) => {
            problems.push((field.to_owned(), why.to_owned()));
            None
        }
    }
}

impl ExternalBody {
    /// The changes asked for, or every field of the wrong shape with what Foreman says
    /// of it.
    ///
    /// # Errors
    /// The fields of the wrong shape, in order.
    pub fn changes(self) -> Result<ExternalChanges, Vec<(String, String)>> {
        match self.auth_source_external {
            Some(v @ Value::Object(_)) => common_changes(v),
            _ => self.top.changes(),
        }
    }
}

/// The name and taxonomies of a source's parameters (an object; anything else asks for
/// nothing).
///
/// # Errors
/// The fields of the wrong shape, in order.
pub fn common_changes(params: Value) -> Result<ExternalChanges, Vec<(String, String)>> {
    serde_json::from_value::<ExternalParams>(params)
        .unwrap_or_default()
        .changes()
}

impl ExternalParams {
    fn changes(self) -> Result<ExternalChanges, Vec<(String, String)>> {
        let params = self;
        let mut problems = Vec::new();
        let changes = ExternalChanges {
            name: given("name", params.name, |n| n.0, &mut problems),
            location_ids: given("location_ids", params.location_ids, |l| l.0, &mut problems),
            organization_ids: given(
                "organization_ids",
                params.organization_ids,
                |l| l.0,
                &mut problems,
            ),
            location_names: given(
                "location_names",
                params.location_names,
                |l| l.0,
                &mut problems,
            ),
            organization_names: given(
                "organization_names",
                params.organization_names,
                |l| l.0,
                &mut problems,
            ),
        };
        if problems.is_empty() {
            Ok(changes)
        } else {
            Err(problems)
        }
    }
}

/// A taxonomy's parameters: its name (a string; anything else reads as blank, which
/// the domain refuses).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct TaxonomyBody {
    name: Checked<Name>,
    description: Checked<Name>,
}

/// The body of `POST /api/locations` or `/api/organizations`: the parameters nested
/// under the taxonomy's key (`{"location": {"name"}}`), or at the top.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TaxonomyEnvelope {
    #[serde(default)]
    location: Option<Value>,
    #[serde(default)]
    organization: Option<Value>,
    #[serde(flatten)]
    top: TaxonomyBody,
}

impl TaxonomyBody {
    /// The parameters of a body creating a `t` (nested under `location` or
    /// `organization`); a body that is not an object gives none.
    pub fn of(v: Value, t: Taxonomy) -> Self {
        let envelope: TaxonomyEnvelope = serde_json::from_value(v).unwrap_or_default();
        let nested = match t {
            Taxonomy::Location => envelope.location,
            Taxonomy::Organization => envelope.organization,
        };
        match nested {
            Some(v @ Value::Object(_)) => serde_json::from_value(v).unwrap_or_default(),
            _ => envelope.top,
        }
    }

    /// What an update asks for: a name (`None` when none was given; empty when not a
    /// string, so that it is refused as blank) and a description (`Some(None)` for
    /// `null`).
    ///
    /// # Errors
    /// A description that is neither a string nor `null`, in Foreman's words.
    pub fn changes(self) -> Result<TaxonomyChanges, Vec<(String, String)>> {
        Ok(TaxonomyChanges {
            name: match self.name {
                Checked::Given(Name(n)) => Some(n),
                Checked::Absent => None,
                Checked::Wrong(_) => Some(String::new()),
            },
            description: match self.description {
                Checked::Given(Name(d)) => Some(Some(d)),
                Checked::Absent => None,
                Checked::Wrong(why) => return Err(vec![("description".into(), why.into())]),
            },
        })
    }

    /// What a create gives: the name (empty when none was, or not a string) and the
    /// description.
    ///
    /// # Errors
    /// As [`TaxonomyBody::changes`].
    pub fn created(self) -> Result<TaxonomyChanges, Vec<(String, String)>> {
        let mut c = self.changes()?;
        c.name.get_or_insert_with(String::new);
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn changes(v: Value) -> Result<ExternalChanges, Vec<(String, String)>> {
        serde_json::from_value::<ExternalBody>(v).unwrap().changes()
    }

    #[test]
    fn nested_or_top_level_and_other_keys_ignored() {
        let c = changes(
            json!({"auth_source_external": {"name": "X", "location_ids": ["3", 4]}, "other": 1}),
        )
        .unwrap();
        assert_eq!(c.name.as_deref(), Some("X"));
        assert_eq!(c.location_ids, Some(vec![3, 4]));
        let c = changes(json!({"name": null, "organization_names": null})).unwrap();
        assert_eq!(c.name.as_deref(), Some(""));
        assert_eq!(c.organization_names, Some(vec![]));
        assert_eq!(changes(json!({})).unwrap(), ExternalChanges::default());
    }

    #[test]
    fn every_field_of_the_wrong_shape_is_named() {
        let e = changes(json!({"name": 5, "location_ids": ["x"], "organization_names": [1]}))
            .unwrap_err();
        let fields: Vec<_> = e.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["name", "location_ids", "organization_names"]);
        assert_eq!(e[0].1, "must be a String");
        let many = changes(json!({"location_ids": vec![1; MAX_SECTION_ENTRIES + 1]})).unwrap_err();
        assert_eq!(many[0].1, "lists too many ids");
    }
}
