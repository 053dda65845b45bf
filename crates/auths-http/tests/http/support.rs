//! Shared fixtures: a service on a fresh database, keys, the app, and request helpers.

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service};
use actix_web::web;
use auths_app::{AuthService, KeySpec, Settings};
use auths_domain::{EntryId, Role};
use auths_store::Db;
use auths_store::testing::TestDb;
use serde_json::Value;

/// Defines each listed async test (taking a `TestDb`) for SQLite and for PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[actix_rt::test] async fn $name() { super::$name(auths_store::testing::TestDb::sqlite()).await; } )*
        }
        mod postgres {
            $( #[actix_rt::test] async fn $name() {
                if let Some(t) = auths_store::testing::TestDb::postgres() { super::$name(t).await; }
            } )*
        }
    };
}

/// The app over a service's data, with the small test body limit.
#[macro_export]
macro_rules! app {
    ($data:expr) => {
        actix_web::test::init_service(
            actix_web::App::new()
                .app_data($data.clone())
                .app_data(actix_web::web::Data::new(
                    auths_http::throttle::FailedLogins::default(),
                ))
                .app_data(auths_http::BodyLimit($crate::support::LIMIT))
                .configure(auths_http::configure::<auths_store::Db>),
        )
        .await
    };
}

/// The app over a service's data with the server's default body limit (4 MiB), for
/// requests past the small test limit (bulk, deep nesting, huge values).
#[macro_export]
macro_rules! roomy_app {
    ($data:expr) => {
        actix_web::test::init_service(
            actix_web::App::new()
                .app_data($data.clone())
                .configure(auths_http::configure::<auths_store::Db>),
        )
        .await
    };
}

/// Body limit of the test app: small, so that 413 is cheap to provoke.
pub const LIMIT: usize = 16 * 1024;

/// The keys every test starts with.
pub struct Keys {
    pub admin: String,
    pub viewer: String,
    /// The service's data folder (export files), removed with the keys.
    pub data_dir: tempfile::TempDir,
}

/// A service on the test database, with an admin (bootstrap) and a viewer key.
pub fn service(t: &TestDb) -> (web::Data<AuthService<Db>>, Keys) {
    let data_dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        data_dir: data_dir.path().to_owned(),
        ..Settings::default()
    };
    let svc = AuthService::new(t.db.clone(), settings).with_directory(std::sync::Arc::new(
        auths_ldap::Ldap3Probe {
            timeout: std::time::Duration::from_secs(5),
        },
    ));
    let admin = svc.bootstrap(None).unwrap().unwrap().key;
    let viewer = key(&svc, "viewer", Role::Viewer, &[], false);
    (
        web::Data::new(svc),
        Keys {
            admin,
            viewer,
            data_dir,
        },
    )
}

/// Issues a key.
pub fn key(
    svc: &AuthService<Db>,
    name: &str,
    role: Role,
    departments: &[&EntryId],
    mcp: bool,
) -> String {
    svc.create_key(&KeySpec {
        name: name.into(),
        role,
        department_ids: departments.iter().map(|d| (*d).clone()).collect(),
        allow_mcp_writes: mcp,
        expires_at: None,
    })
    .unwrap()
    .key
}

/// Sends a request; answers the status and the JSON body (`Null` when empty), and
/// checks that any body is JSON.
pub async fn send<S, B>(app: &S, req: TestRequest) -> (StatusCode, Value)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let res = call_service(app, req.to_request()).await;
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = actix_web::test::read_body(res).await;
    let value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).unwrap_or_else(|_| panic!("not JSON: {body:?}"))
    };
    if !body.is_empty() {
        assert_eq!(ct.as_deref(), Some("application/json"), "{status} {value}");
    }
    (status, value)
}

/// A POST with an API key.
pub fn post(path: &str, key: &str) -> TestRequest {
    TestRequest::post()
        .uri(path)
        .insert_header(("X-Api-Key", key.to_owned()))
}

/// Checks the spec's error body.
pub fn assert_error(status: StatusCode, body: &Value, want_status: u16, code: &str) {
    assert_eq!(status.as_u16(), want_status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(body["error"]["details"].is_array(), "{body}");
}
