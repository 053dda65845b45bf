//! The parser and checker, against the fields of `auth_source_externals`.

use super::*;

use crate::external::ExternalField;

fn filter(q: &str) -> Result<Filter<ExternalField>, QueryError> {
    check(
        &parse(q)?.ok_or(QueryError::Syntax {
            message: "empty".into(),
        })?,
        ExternalField::Name,
    )
}

fn field(name: &str) -> ExternalField {
    ExternalField::ALL
        .iter()
        .copied()
        .find(|f| f.name() == name)
        .unwrap()
}

fn term(name: &str, op: Op, values: Vec<Value>) -> Filter<ExternalField> {
    Filter::Term {
        field: field(name),
        op,
        values,
    }
}

fn t(s: &str) -> Value {
    Value::Text(s.into())
}

fn like(s: &str) -> Value {
    Value::Pattern(Pattern::new(s))
}

#[test]
fn every_operator() {
    let cases = [
        ("name = a", Op::Eq),
        ("name == a", Op::Eq),
        ("name != a", Op::Ne),
        ("name <> a", Op::Ne),
        ("name > a", Op::Gt),
        ("name < a", Op::Lt),
        ("name >= a", Op::Ge),
        ("name <= a", Op::Le),
    ];
    for (q, op) in cases {
        assert_eq!(filter(q), Ok(term("name", op, vec![t("a")])), "{q}");
    }
    assert_eq!(
        filter("name ~ Ad*"),
        Ok(term("name", Op::Like, vec![like("ad*")]))
    );
    assert_eq!(
        filter("name !~ ad"),
        Ok(term("name", Op::NotLike, vec![like("ad")]))
    );
    assert_eq!(
        filter("name ~ 50%_x"),
        Ok(term("name", Op::Like, vec![like("50%_x")]))
    );
    assert_eq!(
        filter("id ^ (1, 2,3)"),
        Ok(term(
            "id",
            Op::In,
            vec![Value::Int(1), Value::Int(2), Value::Int(3)]
        ))
    );
    assert_eq!(
        filter("id !^ (4)"),
        Ok(term("id", Op::NotIn, vec![Value::Int(4)]))
    );
    assert_eq!(
        filter("id ^ 5"),
        Ok(term("id", Op::In, vec![Value::Int(5)]))
    );
    assert_eq!(
        filter("set? location"),
        Ok(term("location", Op::Set, vec![]))
    );
    assert_eq!(
        filter("has organization"),
        Ok(term("organization", Op::Set, vec![]))
    );
    assert_eq!(
        filter("null? location"),
        Ok(term("location", Op::Null, vec![]))
    );
    assert_eq!(
        filter("id>3"),
        Ok(term("id", Op::Gt, vec![Value::Int(3)])),
        "no spaces needed"
    );
}

#[test]
fn logic_keywords_grouping_and_precedence() {
    let a = || term("name", Op::Eq, vec![t("a")]);
    let b = || term("id", Op::Eq, vec![Value::Int(1)]);
    let and =
        |x: Filter<ExternalField>, y: Filter<ExternalField>| Filter::And(Box::new(x), Box::new(y));
    let or =
        |x: Filter<ExternalField>, y: Filter<ExternalField>| Filter::Or(Box::new(x), Box::new(y));
    for q in [
        "name = a and id = 1",
        "name = a AND id = 1",
        "name = a & id = 1",
        "name = a && id = 1",
        "name = a id = 1",
    ] {
        assert_eq!(filter(q), Ok(and(a(), b())), "{q}");
    }
    for q in [
        "name = a or id = 1",
        "name = a OR id = 1",
        "name = a | id = 1",
        "name = a || id = 1",
    ] {
        assert_eq!(filter(q), Ok(or(a(), b())), "{q}");
    }
    for q in ["not name = a", "NOT name = a", "-name = a", "! name = a"] {
        assert_eq!(filter(q), Ok(Filter::Not(Box::new(a()))), "{q}");
    }
    // and binds tighter than or; parentheses override.
    assert_eq!(
        filter("name = a or id = 1 and id = 1"),
        Ok(or(a(), and(b(), b())))
    );
    assert_eq!(
        filter("(name = a or id = 1) and id = 1"),
        Ok(and(or(a(), b()), b()))
    );
}

#[test]
fn bare_words_quoting_and_escapes() {
    assert_eq!(
        filter("External"),
        Ok(term("name", Op::Like, vec![like("external")]))
    );
    assert_eq!(
        filter("\"Corp LDAP\""),
        Ok(term("name", Op::Like, vec![like("Corp LDAP")]))
    );
    assert_eq!(
        filter("name = \"Corp LDAP\""),
        Ok(term("name", Op::Eq, vec![t("Corp LDAP")]))
    );
    assert_eq!(
        filter(r#"name = "a \"b\"""#),
        Ok(term("name", Op::Eq, vec![t("a \"b\"")]))
    );
    assert_eq!(
        filter(r"name = a\ b"),
        Ok(term("name", Op::Eq, vec![t("a b")]))
    );
    assert_eq!(
        filter("corp-ldap"),
        Ok(term("name", Op::Like, vec![like("corp-ldap")])),
        "hyphens inside words"
    );
    assert_eq!(
        filter("location = \"Location 1\""),
        Ok(term("location", Op::Eq, vec![t("Location 1")]))
    );
    assert_eq!(parse("   "), Ok(None));
}

#[test]
fn foremans_errors() {
    let msg = |q: &str| filter(q).unwrap_err().to_string();
    assert_eq!(msg("foo = 1"), "Field 'foo' not recognized for searching!");
    assert_eq!(msg("id = x"), "Value 'x' is not valid for field 'id'");
    assert_eq!(
        msg("location_id ^ (1, y)"),
        "Value 'y' is not valid for field 'location_id'"
    );
    assert_eq!(
        msg("id ~ 1"),
        "the operator 'like' is not supported for field type 'integer'"
    );
    assert_eq!(msg("set? foo"), "Field 'foo' not recognized for searching!");
    for bad in [
        "name =",
        "(name = a",
        "name = a)",
        "id ^ (1,",
        "\"open",
        "and",
        "name = (a)",
        "set?",
        ")",
    ] {
        assert!(filter(bad).is_err(), "{bad:?} should be an error");
    }
    assert!(
        parse(&"(".repeat(10_000)).is_err(),
        "deep nesting is refused, not a stack overflow"
    );
    assert!(parse(&"x ".repeat(5000)).is_err(), "too long");
    assert!(
        parse(&"a ".repeat(2048)).is_err(),
        "4096 characters of words"
    );
    // A long flat chain is as deep a tree as long nesting: every later pass (the
    // check, an evaluation, a SQL compiler, dropping it) walks it by recursion.
    for joiner in [" ", " and ", " or ", " and not "] {
        let chain = vec!["a"; 300].join(joiner);
        assert_eq!(
            parse(&chain).map_err(|e| e.to_string()),
            Err(format!(
                "the query has more than {MAX_CONDITIONS} conditions"
            )),
            "{joiner:?}"
        );
    }
    let most = vec!["name = a"; MAX_CONDITIONS].join(" or ");
    assert!(
        filter(&most).is_ok(),
        "{MAX_CONDITIONS} conditions are fine"
    );
    let grouped = vec!["(a)"; MAX_CONDITIONS + 1].join(" ");
    assert!(
        parse(&grouped).is_err(),
        "parentheses do not hide a condition"
    );
}

#[test]
fn order_statements() {
    let sortable = [ExternalField::Id, ExternalField::Name];
    assert_eq!(
        parse_order("name", &sortable),
        Ok((ExternalField::Name, None))
    );
    assert_eq!(
        parse_order("id DESC", &sortable),
        Ok((ExternalField::Id, Some(Direction::Desc)))
    );
    assert_eq!(
        parse_order("Name asc", &sortable),
        Ok((ExternalField::Name, Some(Direction::Asc)))
    );
    assert_eq!(
        parse_order("foo", &sortable).unwrap_err().to_string(),
        "the field 'foo' in the order statement is not valid field for search"
    );
    assert!(parse_order("id sideways", &sortable).is_err());
}

mod properties {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn no_input_makes_the_parser_panic(s in "\\PC{0,120}") {
            if let Ok(Some(q)) = super::parse(&s) {
                let _ = super::check(&q, super::ExternalField::Name);
            }
        }

        #[test]
        fn query_shaped_input_never_panics(parts in proptest::collection::vec(prop_oneof![
            Just("name"), Just("id"), Just("location"), Just("="), Just("!="), Just("~"), Just("!~"), Just("^"),
            Just("!^"), Just("("), Just(")"), Just(","), Just("and"), Just("or"), Just("not"), Just("-"), Just("!"),
            Just("set?"), Just("null?"), Just("\""), Just("\\"), Just("3"), Just("x*"), Just("&&"), Just("||"),
        ], 0..40)) {
            let q = parts.join(" ");
            if let Ok(Some(parsed)) = super::parse(&q) {
                let _ = super::check(&parsed, super::ExternalField::Name);
            }
            let _ = super::parse(&parts.concat());
        }
    }
}

/// The three readings of scoped_search 4.1.13+ that the foreman-v2 spec names.
#[test]
fn leading_and_trailing_operators_and_fieldless_comparisons_read_as_scoped_search() {
    // A leading `&` (or `and`, `or`) joins nothing: `& a` is `a`.
    assert_eq!(filter("& a"), filter("a"));
    assert_eq!(filter("and name = a"), filter("name = a"));
    assert_eq!(filter("| a"), filter("a"));
    // A trailing `and` (or `or`, `not`) means nothing.
    assert_eq!(filter("name = a and"), filter("name = a"));
    assert_eq!(filter("name = a or"), filter("name = a"));
    assert_eq!(filter("name = a and not"), filter("name = a"));
    assert_eq!(parse("and"), Ok(None));
    // A comparison without a field is on the default field.
    assert_eq!(
        filter("^ (a, b)"),
        Ok(term("name", Op::In, vec![t("a"), t("b")]))
    );
    assert_eq!(filter("= a"), Ok(term("name", Op::Eq, vec![t("a")])));
    assert_eq!(filter("!^ (a)"), Ok(term("name", Op::NotIn, vec![t("a")])));
    // Still errors: an operator with no value, a list not closed.
    assert!(filter("^").is_err());
    assert!(filter("^ (a, b").is_err());
}
