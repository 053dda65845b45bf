use proptest::prelude::*;

use std::sync::Arc;

use super::*;
use crate::ports::PageRequest;
use crate::search::search_terms;

fn dep(id: &str, label: &str) -> EntryRef {
    EntryRef {
        id: EntryId::parse(id).unwrap(),
        label: label.to_owned(),
    }
}

fn doc(number: i64, name: &str, description: &str, departments: &[EntryRef]) -> Arc<Auth> {
    let text = |label: &str| dep(&format!("e-{}", label.len()), label);
    Arc::new(Auth {
        number,
        auth_id: AuthId::parse(&format!("a-{number}")).unwrap(),
        group_id: crate::ids::GroupId::parse(&format!("g-{number}")).unwrap(),
        name: text(name),
        description: (!description.is_empty()).then(|| text(description)),
        flag: dep("flag-active", "active"),
        protocols: vec![dep("protocol-ldap", "ldap")],
        slugs: vec![],
        items: vec![],
        departments: departments.to_vec(),
        locations: vec![],
        version: 1,
        created_at: chrono::DateTime::UNIX_EPOCH,
        updated_at: chrono::DateTime::UNIX_EPOCH,
        created_by: "test".into(),
        updated_by: "test".into(),
    })
}

fn query(text: &str) -> AuthQuery {
    AuthQuery {
        terms: search_terms(text),
        departments: None,
        scope: None,
        page: PageRequest {
            limit: 25,
            offset: 0,
        },
    }
}

#[test]
fn prefixes_of_every_term_in_any_column_best_match_first() {
    let fin = dep("d-fin", "Finance");
    let hr = dep("d-hr", "HR");
    let mut ix = SearchIndex::new(1);
    ix.upsert(doc(
        1,
        "Zeta Portal",
        "for staff",
        std::slice::from_ref(&fin),
    ));
    ix.upsert(doc(
        2,
        "Alpha",
        "the portal of finance",
        std::slice::from_ref(&hr),
    ));
    ix.upsert(doc(3, "Beta Portals", "", &[fin.clone(), hr.clone()]));
    ix.upsert(doc(4, "Gamma", "nothing", &[]));
    // A name match before a description match; a whole word before a prefix; then name.
    assert_eq!(ix.search(&query("portal")).numbers, [1, 3, 2]);
    assert_eq!(ix.search(&query("port")).numbers, [3, 1, 2]);
    // Every term must match, in any column (departments' labels included).
    assert_eq!(ix.search(&query("portal finance")).numbers, [1, 3, 2]);
    assert_eq!(ix.search(&query("portal staff")).numbers, [1]);
    assert_eq!(ix.search(&query("LDAP gam")).numbers, [4]);
    assert!(ix.search(&query("nope")).numbers.is_empty());
    // No terms: every auth, by name.
    assert_eq!(ix.search(&query("")).numbers, [2, 3, 4, 1]);
    // The facet counts matches in scope, ignoring the department filter.
    let mut q = query("portal");
    q.departments = Some(vec![hr.id.clone()]);
    let hits = ix.search(&q);
    assert_eq!(
        (hits.numbers.as_slice(), hits.total),
        ([3, 2].as_slice(), 2)
    );
    assert_eq!(hits.departments, vec![(fin.clone(), 2), (hr.clone(), 2)]);
    // A scope hides everything outside it, in the facet too.
    let mut q = query("portal");
    q.scope = Some(vec![fin.id.clone()]);
    let hits = ix.search(&q);
    assert_eq!(
        (hits.numbers.as_slice(), hits.total),
        ([1, 3].as_slice(), 2)
    );
    assert_eq!(hits.departments, vec![(fin.clone(), 2), (hr.clone(), 1)]);
    // Pages.
    let mut q = query("");
    q.page = PageRequest {
        limit: 2,
        offset: 1,
    };
    assert_eq!(ix.search(&q).numbers, [3, 4]);
    q.page.offset = 10;
    assert_eq!(
        ix.search(&q),
        AuthHits {
            numbers: vec![],
            rows: vec![],
            total: 4,
            departments: ix.search(&query("")).departments
        }
    );
}

#[test]
fn changes_replace_what_was_indexed() {
    let mut ix = SearchIndex::new(0);
    ix.upsert(doc(7, "Old Name", "", &[]));
    ix.upsert(doc(7, "New Name", "", &[]));
    assert!(ix.search(&query("old")).numbers.is_empty());
    assert_eq!(ix.search(&query("new")).numbers, [7]);
    // An auth is found by id, as last upserted, until removed.
    let id = AuthId::parse("a-7").unwrap();
    assert_eq!(
        ix.get(&id).map(|a| a.name.label.clone()),
        Some("New Name".into())
    );
    ix.remove(7);
    assert!(ix.get(&id).is_none());
    ix.remove(7);
    assert!(ix.is_empty());
    assert!(ix.search(&query("name")).numbers.is_empty());
    ix.set_generation(9);
    assert_eq!(ix.generation(), 9);
}

/// The index's answer, computed the slow and obvious way.
fn naive(docs: &BTreeMap<i64, Arc<Auth>>, q: &AuthQuery) -> AuthHits {
    let in_any = |d: &Auth, ids: &Option<Vec<EntryId>>| {
        ids.as_ref()
            .is_none_or(|ids| d.departments.iter().any(|x| ids.contains(&x.id)))
    };
    let mut matched: Vec<(u32, String, i64, &Arc<Auth>)> = Vec::new();
    for d in docs.values() {
        let w = words(d);
        let mut score = 0;
        let mut all = true;
        for t in &q.terms {
            let best = w
                .iter()
                .filter(|(word, _)| word.starts_with(t.as_str()))
                .map(|(word, c)| best_weight(*c, word == t))
                .max();
            match best {
                Some(s) => score += s,
                None => all = false,
            }
        }
        if all && in_any(d, &q.scope) {
            matched.push((score, fold_case(&d.name.label), d.number, d));
        }
    }
    let mut facet: BTreeMap<EntryId, (EntryRef, u64)> = BTreeMap::new();
    for (_, _, _, d) in &matched {
        let mut seen: Vec<&EntryRef> = d.departments.iter().collect();
        seen.sort_by(|a, b| a.id.cmp(&b.id));
        seen.dedup_by(|a, b| a.id == b.id);
        for x in seen {
            facet
                .entry(x.id.clone())
                .or_insert_with(|| (x.clone(), 0))
                .1 += 1;
        }
    }
    matched.retain(|(_, _, _, d)| in_any(d, &q.departments));
    matched.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| a.1.cmp(&b.1))
            .then(a.2.cmp(&b.2))
    });
    let page: Vec<&Arc<Auth>> = matched
        .iter()
        .skip(q.page.offset as usize)
        .take(q.page.limit as usize)
        .map(|m| m.3)
        .collect();
    AuthHits {
        total: matched.len() as u64,
        numbers: page.iter().map(|d| d.number).collect(),
        rows: page.into_iter().map(Arc::clone).collect(),
        departments: facet.into_values().collect(),
    }
}

const VOCAB: [&str; 8] = [
    "corp",
    "corporate",
    "lab",
    "labs",
    "wiki",
    "Édition",
    "mail",
    "x1",
];

fn any_doc(number: i64) -> impl Strategy<Value = Arc<Auth>> {
    let text = proptest::collection::vec(proptest::sample::select(&VOCAB[..]), 0..4)
        .prop_map(|w| w.join(" "));
    (
        text.clone(),
        text.clone(),
        proptest::collection::vec(0..4u8, 0..3),
    )
        .prop_map(move |(name, description, deps)| {
            let deps: Vec<EntryRef> = deps
                .iter()
                .map(|d| dep(&format!("d{d}"), &format!("dept{d}")))
                .collect();
            let mut d = (*doc(number, &name, &description, &deps)).clone();
            d.protocols = vec![];
            Arc::new(d)
        })
}

proptest! {
    #[test]
    fn the_index_answers_as_the_obvious_search_does(
        docs in proptest::collection::vec((0..40i64).prop_flat_map(any_doc), 0..30),
        removed in proptest::collection::vec(0..40i64, 0..5),
        terms in proptest::collection::vec(proptest::sample::select(&["c", "corp", "lab", "labs", "w", "é", "mail", "x", "dept1", "zz"][..]), 0..3),
        departments in proptest::option::of(proptest::collection::vec(0..4u8, 0..3)),
        scope in proptest::option::of(proptest::collection::vec(0..4u8, 0..3)),
        limit in 1..10u32,
        offset in 0..12u64,
    ) {
        let mut ix = SearchIndex::new(0);
        let mut model = BTreeMap::new();
        for d in &docs {
            ix.upsert(Arc::clone(d));
            model.insert(d.number, Arc::clone(d));
        }
        for n in &removed {
            ix.remove(*n);
            model.remove(n);
        }
        let ids = |v: &Vec<u8>| v.iter().map(|d| EntryId::parse(&format!("d{d}")).unwrap()).collect();
        let q = AuthQuery {
            terms: terms.iter().map(|t| (*t).to_owned()).collect(),
            departments: departments.as_ref().map(ids),
            scope: scope.as_ref().map(ids),
            page: PageRequest { limit, offset },
        };
        prop_assert_eq!(ix.search(&q), naive(&model, &q));
        prop_assert_eq!(ix.len(), model.len());
    }
}
