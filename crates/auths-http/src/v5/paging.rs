//! Paging parameters: `page_size` 1..=500 (default 25), `page_offset` >= 0 (default 0).
//! Out of range is 400 `bad_request` (the request is malformed), per the spec.

use auths_domain::PageRequest;

use crate::error::ApiError;

/// Default rows a page.
pub const DEFAULT_PAGE_SIZE: i64 = 25;
/// Most rows a page.
pub const MAX_PAGE_SIZE: i64 = 500;

/// Checks paging parameters.
///
/// # Errors
/// 400 when `page_size` is outside 1..=500 or `page_offset` is negative.
pub fn page(page_size: Option<i64>, page_offset: Option<i64>) -> Result<PageRequest, ApiError> {
    page_up_to(page_size, page_offset, MAX_PAGE_SIZE)
}

/// As [`page`], with rows of a page at most `max` (a list whose rows are large).
///
/// # Errors
/// 400 when `page_size` is outside 1..=`max` or `page_offset` is negative.
pub fn page_up_to(
    page_size: Option<i64>,
    page_offset: Option<i64>,
    max: i64,
) -> Result<PageRequest, ApiError> {
    let size = page_size.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=max).contains(&size) {
        return Err(ApiError::bad_request(format!(
            "page_size must be between 1 and {max}, not {size}"
        )));
    }
    let offset = page_offset.unwrap_or(0);
    let offset = u64::try_from(offset).map_err(|_| {
        ApiError::bad_request(format!("page_offset must not be negative, not {offset}"))
    })?;
    Ok(PageRequest {
        limit: u32::try_from(size).unwrap_or(25),
        offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert_eq!(
            page(None, None).unwrap(),
            PageRequest {
                limit: 25,
                offset: 0
            }
        );
        assert_eq!(
            page(Some(500), Some(7)).unwrap(),
            PageRequest {
                limit: 500,
                offset: 7
            }
        );
        assert!(page(Some(0), None).is_err());
        assert!(page(Some(501), None).is_err());
        assert!(page(None, Some(-1)).is_err());
    }
}
