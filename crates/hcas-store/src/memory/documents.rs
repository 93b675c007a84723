//! [`ContentStore`] for [`MemoryStore`]: encrypted documents' metadata.

use async_trait::async_trait;

use super::MemoryStore;
use crate::StoreError;
use crate::documents::{ContentStore, DocumentContent, WrappedKey};

fn missing(id: &str) -> StoreError {
    StoreError::NotFound {
        what: "document",
        id: id.to_string(),
    }
}

#[async_trait]
impl ContentStore for MemoryStore {
    async fn put_content(&self, content: DocumentContent) -> Result<(), StoreError> {
        content.validate()?;
        let mut s = self.state.lock().await;
        if s.contents.contains_key(&content.id) {
            return Err(StoreError::AlreadyExists {
                what: "document",
                id: content.id,
            });
        }
        s.contents.insert(content.id.clone(), content);
        Ok(())
    }

    async fn get_content(&self, id: &str) -> Result<DocumentContent, StoreError> {
        let s = self.state.lock().await;
        s.contents.get(id).cloned().ok_or_else(|| missing(id))
    }

    async fn delete_content(&self, id: &str) -> Result<(), StoreError> {
        let mut s = self.state.lock().await;
        s.contents.remove(id).map(|_| ()).ok_or_else(|| missing(id))
    }

    async fn replace_key(
        &self,
        id: &str,
        old: &WrappedKey,
        new: WrappedKey,
    ) -> Result<bool, StoreError> {
        let mut s = self.state.lock().await;
        let c = s.contents.get_mut(id).ok_or_else(|| missing(id))?;
        if &c.wrapped_key != old {
            return Ok(false);
        }
        c.wrapped_key = new;
        Ok(true)
    }

    async fn contents_not_under(
        &self,
        kek_id: &str,
        limit: usize,
    ) -> Result<Vec<DocumentContent>, StoreError> {
        let s = self.state.lock().await;
        let mut v: Vec<DocumentContent> = s
            .contents
            .values()
            .filter(|c| c.wrapped_key.kek_id != kek_id)
            .cloned()
            .collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v.truncate(limit);
        Ok(v)
    }
}
