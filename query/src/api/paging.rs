//! Page + size paging with a total: the page token is the offset of the next page.

use contracts::v1::{PageInfo, PageRequest, SortDirection};

use super::QueryError;
use crate::store::{DbError, Order, Reader, Row, Select};

pub const DEFAULT_PAGE_SIZE: u64 = 50;
pub const MAX_PAGE_SIZE: u64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub size: u64,
    pub offset: u64,
}

impl Page {
    /// `page.page_size` 0 means the default; over the maximum is an error naming
    /// `page.page_size`; a token that is not one this API issued names `page.page_token`.
    pub fn parse(request: Option<&PageRequest>) -> Result<Page, QueryError> {
        let Some(request) = request else {
            return Ok(Page {
                size: DEFAULT_PAGE_SIZE,
                offset: 0,
            });
        };
        let size = match u64::from(request.page_size) {
            0 => DEFAULT_PAGE_SIZE,
            size if size > MAX_PAGE_SIZE => {
                return Err(QueryError::invalid(
                    "page.page_size",
                    format!("must be at most {MAX_PAGE_SIZE}"),
                ));
            }
            size => size,
        };
        let token = request.page_token.trim();
        let offset = if token.is_empty() {
            0
        } else {
            token.parse().map_err(|_| {
                QueryError::invalid("page.page_token", "is not a token this API issued")
            })?
        };
        Ok(Page { size, offset })
    }

    /// This page of the rows `select` matches, in its order (which should end with a
    /// unique column, so pages are stable), and the reply's paging: a list answers one
    /// item per row.
    pub fn select(
        &self,
        reader: &mut dyn Reader,
        select: Select,
    ) -> Result<(Vec<Row>, PageInfo), DbError> {
        let total = reader.count(&select)?;
        let rows = reader.select(&select.limit(self.size).offset(self.offset))?;
        let info = self.info(rows.len(), total);
        Ok((rows, info))
    }

    /// The reply's paging, given how many rows this page returned and the total.
    fn info(&self, returned: usize, total: u64) -> PageInfo {
        let next = self.offset + returned as u64;
        PageInfo {
            next_page_token: if returned > 0 && next < total {
                next.to_string()
            } else {
                String::new()
            },
            total,
        }
    }
}

/// The order of a request's `direction` (unspecified = ascending); a number the enum
/// lacks is an error naming `direction`.
pub fn direction(raw: i32) -> Result<Order, QueryError> {
    match SortDirection::try_from(raw) {
        Ok(SortDirection::Descending) => Ok(Order::Desc),
        Ok(_) => Ok(Order::Asc),
        Err(_) => Err(QueryError::invalid("direction", "is not a sort direction")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absent_or_zero_page_size_is_the_default() {
        assert_eq!(Page::parse(None).unwrap().size, DEFAULT_PAGE_SIZE);
        let request = PageRequest::default();
        assert_eq!(Page::parse(Some(&request)).unwrap().size, DEFAULT_PAGE_SIZE);
    }

    #[test]
    fn an_oversized_page_or_foreign_token_names_its_field() {
        let big = PageRequest {
            page_size: 501,
            page_token: String::new(),
        };
        assert!(
            matches!(Page::parse(Some(&big)), Err(QueryError::Invalid { field, .. }) if field == "page.page_size")
        );
        let foreign = PageRequest {
            page_size: 10,
            page_token: "abc".into(),
        };
        assert!(
            matches!(Page::parse(Some(&foreign)), Err(QueryError::Invalid { field, .. }) if field == "page.page_token")
        );
    }

    #[test]
    fn directions_map_to_orders_and_unknown_ones_name_the_field() {
        assert_eq!(direction(0).unwrap(), Order::Asc);
        assert_eq!(
            direction(SortDirection::Descending as i32).unwrap(),
            Order::Desc
        );
        assert!(
            matches!(direction(9), Err(QueryError::Invalid { field, .. }) if field == "direction")
        );
    }

    #[test]
    fn the_next_token_is_empty_on_the_last_page() {
        let page = Page {
            size: 10,
            offset: 20,
        };
        assert_eq!(page.info(10, 45).next_page_token, "30");
        assert_eq!(page.info(5, 25).next_page_token, "");
        assert_eq!(page.info(0, 0).next_page_token, "");
    }
}
