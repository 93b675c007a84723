//! [`FeedTokenStore`] for [`MemoryStore`]: the feeds in the one locked state.

use async_trait::async_trait;
use hcas_core::Timestamp;

use crate::feeds::{feed_taken, no_feed};
use crate::{FeedToken, FeedTokenStore, StoreError};

use super::MemoryStore;

#[async_trait]
impl FeedTokenStore for MemoryStore {
    async fn feed_create(&self, feed: FeedToken) -> Result<FeedToken, StoreError> {
        feed.validate()?;
        let mut s = self.state.lock().await;
        if s.feeds
            .iter()
            .any(|f| f.id == feed.id || f.token_hash == feed.token_hash)
        {
            return Err(feed_taken(&feed.id));
        }
        s.feeds.push(feed.clone());
        Ok(feed)
    }

    async fn feed_get(&self, id: &str) -> Result<FeedToken, StoreError> {
        let s = self.state.lock().await;
        s.feeds
            .iter()
            .find(|f| f.id == id)
            .cloned()
            .ok_or_else(|| no_feed(id))
    }

    async fn feed_list(&self, subject: Option<&str>) -> Result<Vec<FeedToken>, StoreError> {
        let s = self.state.lock().await;
        let mut all: Vec<FeedToken> = s
            .feeds
            .iter()
            .filter(|f| subject.is_none_or(|x| f.subject == x))
            .cloned()
            .collect();
        all.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        Ok(all)
    }

    async fn feed_revoke(&self, id: &str, at: Timestamp) -> Result<FeedToken, StoreError> {
        let mut s = self.state.lock().await;
        let f = s
            .feeds
            .iter_mut()
            .find(|f| f.id == id)
            .ok_or_else(|| no_feed(id))?;
        f.revoked.get_or_insert(at);
        Ok(f.clone())
    }

    async fn feed_find(&self, token_hash: &str) -> Result<FeedToken, StoreError> {
        let s = self.state.lock().await;
        s.feeds
            .iter()
            .find(|f| f.token_hash == token_hash && f.revoked.is_none())
            .cloned()
            .ok_or_else(|| no_feed("token"))
    }
}
