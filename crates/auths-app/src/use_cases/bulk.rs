//! The rules every bulk operation (create, update, delete) shares: at most
//! [`MAX_BULK_ITEMS`] items, the role and MCP policy refuse the whole request (checked
//! by each use case once, after the size), everything else is an item's result, and
//! once the database turns out to be unavailable the items after are not tried.

use crate::AppError;

/// Most items one bulk request may carry.
pub const MAX_BULK_ITEMS: usize = 1000;

/// Refuses a request of more than [`MAX_BULK_ITEMS`] items.
///
/// # Errors
/// `TooMany` when `n` is over the limit.
pub(crate) fn check_size(n: usize) -> Result<(), AppError> {
    if n > MAX_BULK_ITEMS {
        return Err(AppError::TooMany {
            given: n,
            max: MAX_BULK_ITEMS,
        });
    }
    Ok(())
}

/// Runs `one` on each item in order until the database turns out to be unavailable:
/// the items after that fail with the same error without being tried, so that a
/// thousand-item request does not wait out the connection timeout a thousand times.
/// When every item failed so (nothing was written), the whole request fails instead.
///
/// # Errors
/// `Unavailable` when no item could reach the database.
pub(crate) fn each_until_down<T, O>(
    items: impl IntoIterator<Item = T>,
    mut one: impl FnMut(T) -> Result<O, AppError>,
) -> Result<Vec<Result<O, AppError>>, AppError> {
    let mut down: Option<AppError> = None;
    let out: Vec<Result<O, AppError>> = items
        .into_iter()
        .map(|item| match &down {
            Some(e) => Err(e.clone()),
            None => {
                let r = one(item);
                if let Err(e @ AppError::Unavailable(_)) = &r {
                    down = Some(e.clone());
                }
                r
            }
        })
        .collect();
    match down {
        Some(e)
            if out
                .iter()
                .all(|r| matches!(r, Err(AppError::Unavailable(_)))) =>
        {
            Err(e)
        }
        _ => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Missing;

    #[test]
    fn once_the_database_is_down_the_rest_is_not_tried() {
        let mut tried = Vec::new();
        let out = each_until_down([1, 2, 3, 4], |n| {
            tried.push(n);
            match n {
                1 => Ok(n),
                2 => Err(AppError::Unavailable("down".into())),
                _ => Ok(n),
            }
        });
        assert_eq!(tried, [1, 2]);
        let out = out.unwrap_or_default();
        assert_eq!(out.len(), 4);
        assert_eq!(out[0], Ok(1));
        assert!(
            out[1..]
                .iter()
                .all(|r| matches!(r, Err(AppError::Unavailable(_))))
        );
    }

    #[test]
    fn when_nothing_reached_the_database_the_request_fails_whole() {
        let out = each_until_down([1, 2], |_| -> Result<i32, AppError> {
            Err(AppError::Unavailable("down".into()))
        });
        assert!(matches!(out, Err(AppError::Unavailable(_))));
        let out = each_until_down([1], |_| -> Result<i32, AppError> {
            Err(AppError::NotFound(Missing::Auth("x".into())))
        });
        assert!(matches!(out.as_deref(), Ok([Err(AppError::NotFound(_))])));
    }

    #[test]
    fn a_thousand_items_at_most() {
        assert!(check_size(MAX_BULK_ITEMS).is_ok());
        assert_eq!(
            check_size(MAX_BULK_ITEMS + 1),
            Err(AppError::TooMany {
                given: 1001,
                max: 1000
            })
        );
    }
}
