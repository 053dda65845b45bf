//! Micro-benchmarks of the hot pure code: the scoped_search parser and its SQL
//! compilation, domain validation of a create item, and one CSV row of the export.
//!
//! `cargo bench -p auths-bench` (or `make bench-micro`).

#![allow(clippy::unwrap_used, reason = "benchmark set-up")]

use std::hint::black_box;

use auths_domain::catalog::{EntryRef, ItemRef};
use auths_domain::external::ExternalField;
use auths_domain::scoped_search::{check, parse};
use auths_domain::{Auth, AuthId, EntryId, GroupId, RawFields};
use criterion::{Criterion, criterion_group, criterion_main};

const QUERY: &str = r#"(name ~ "corp*" or name = External) and location ^ (Berlin, Paris) and not organization_id = 3"#;

fn parser(c: &mut Criterion) {
    c.bench_function("scoped_search parse+check", |b| {
        b.iter(|| {
            check(
                &parse(black_box(QUERY)).unwrap().unwrap(),
                ExternalField::Name,
            )
            .unwrap()
        })
    });
    let filter = check(&parse(QUERY).unwrap().unwrap(), ExternalField::Name).unwrap();
    c.bench_function("scoped_search to SQL (PostgreSQL)", |b| {
        b.iter(|| auths_store::foreman_filter_sql(black_box(&filter), true))
    });
}

fn validation(c: &mut Criterion) {
    let raw = RawFields {
        name: Some("  Corporate Directory (EU) ".into()),
        description: Some("The main LDAP of the company, replicated in three regions".into()),
        flag_id: Some("flag-active".into()),
        protocol_ids: Some(vec!["protocol-ldap".into(), "protocol-ldaps".into()]),
        slug_ids: Some(vec!["0190f3a2-7c1e-7b1a-9a3e-1f2d3c4b5a69".into()]),
        department_ids: Some(vec![
            "0190f3a2-7c1e-7b1a-9a3e-1f2d3c4b5a70".into(),
            "0190f3a2-7c1e-7b1a-9a3e-1f2d3c4b5a71".into(),
        ]),
        ..RawFields::default()
    };
    c.bench_function("validate a create item", |b| {
        b.iter(|| black_box(&raw).parse().unwrap())
    });
}

fn csv_row(c: &mut Criterion) {
    let r = |id: &str, label: &str| EntryRef {
        id: EntryId::parse(id).unwrap(),
        label: label.into(),
    };
    let at = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    let auth = Auth {
        number: 42,
        auth_id: AuthId::parse("0190f3a2-7c1e-7b1a-9a3e-1f2d3c4b5a69").unwrap(),
        group_id: GroupId::parse("0190f3a2-7c1e-7b1a-9a3e-1f2d3c4b5a6a").unwrap(),
        name: r("n1", "Corporate Directory"),
        description: Some(r("d1", "The main LDAP of the company")),
        flag: r("flag-active", "active"),
        protocols: vec![r("protocol-ldap", "ldap"), r("protocol-ldaps", "ldaps")],
        slugs: vec![r("s1", "corp-ldap")],
        items: vec![
            ItemRef {
                id: EntryId::parse("i1").unwrap(),
                label: "host".into(),
                key: "host".into(),
                value: Some("ldap.example.com".into()),
                secret: false,
                fingerprint: None,
            },
            ItemRef {
                id: EntryId::parse("i2").unwrap(),
                label: "bind_password".into(),
                key: "bind_password".into(),
                value: None,
                secret: true,
                fingerprint: None,
            },
        ],
        departments: vec![r("d-fin", "Finance"), r("d-it", "IT")],
        locations: vec![r("l-ber", "Berlin")],
        version: 3,
        created_at: at,
        updated_at: at,
        created_by: "alice".into(),
        updated_by: "bob".into(),
    };
    let mut out = csv::Writer::from_writer(std::io::sink());
    c.bench_function("one CSV row", |b| {
        b.iter(|| {
            out.write_record(auths_app::export_record(black_box(&auth)))
                .unwrap()
        })
    });
}

criterion_group!(benches, parser, validation, csv_row);
criterion_main!(benches);
