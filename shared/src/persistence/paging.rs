//! Paging through a query: the one place that knows how a page's last key continues a query,
//! in either direction — all at once (`query_all`) or a page at a time (`Pages`).

use super::tables::Tables;
use crate::domain::error::ChatResult;
use crate::ports::store::{Item, Page, Query, Store, StoreError};

/// The query that reads on from where `page` stopped, or `None` when nothing is left.
pub fn continuation(query: &Query, page: &Page) -> Option<Query> {
    let last = page.items.last().filter(|_| page.more)?;
    let sk = last.key.sk.clone();
    Some(if query.forward { query.clone().after(sk) } else { query.clone().before(sk) })
}

/// Every item `query` matches, page after page, stopping once at least `max` were read (the
/// pages' own size is the query's limit).
pub async fn query_all(store: &dyn Store, query: Query, max: usize) -> Result<Vec<Item>, StoreError> {
    let mut items = Vec::new();
    let mut next = Some(query);
    while let Some(query) = next.take() {
        let page = store.query(&query).await?;
        next = continuation(&query, &page);
        items.extend(page.items);
        if items.len() >= max {
            items.truncate(max);
            break;
        }
    }
    Ok(items)
}

/// A listing read a page at a time, so the caller acts on each page before the next is read
/// (a long backlog is never held whole). See [`Tables::next_page`].
pub struct Pages<T> {
    next: Option<Query>,
    read: fn(&Item) -> ChatResult<T>,
}

impl<T> Pages<T> {
    pub(super) fn new(query: Query, read: fn(&Item) -> ChatResult<T>) -> Self {
        Self { next: Some(query), read }
    }
}

impl Tables {
    /// The next page of a listing, or `None` once it is done.
    pub async fn next_page<T>(&self, pages: &mut Pages<T>) -> ChatResult<Option<Vec<T>>> {
        let Some(query) = pages.next.take() else { return Ok(None) };
        let page = self.db().query(&query).await?;
        pages.next = continuation(&query, &page);
        page.items.iter().map(pages.read).collect::<ChatResult<Vec<T>>>().map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::store::{Attrs, Key};

    fn page(sks: &[&str], more: bool) -> Page {
        Page { items: sks.iter().map(|sk| Item::new(Key::new("P", *sk), Attrs::new())).collect(), more }
    }

    #[test]
    fn a_forward_query_continues_after_the_last_key_and_a_backward_one_before_it() {
        let forward = Query::prefix("P", "MSG#");
        let next = continuation(&forward, &page(&["MSG#1", "MSG#2"], true)).expect("more");
        assert!(!next.contains("MSG#2") && next.contains("MSG#3"));
        let backward = Query::prefix("P", "MSG#").backward();
        let next = continuation(&backward, &page(&["MSG#9", "MSG#8"], true)).expect("more");
        assert!(!next.contains("MSG#8") && next.contains("MSG#7") && !next.contains("MSG#9"));
    }

    #[test]
    fn the_last_page_has_no_continuation() {
        assert_eq!(continuation(&Query::prefix("P", "X"), &page(&["X1"], false)), None);
        assert_eq!(continuation(&Query::prefix("P", "X"), &page(&[], true)), None);
    }
}
