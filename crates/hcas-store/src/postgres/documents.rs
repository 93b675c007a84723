//! [`ContentStore`] for [`PgStore`], on the table of
//! `migrations/postgres/20261204001700_documents.sql`.

use async_trait::async_trait;

use crate::StoreError;
use crate::documents::{
    CONTENT_COLUMNS, ContentRow, ContentStore, DocumentContent, WrappedKey, content_from_row,
    document_taken, no_document,
};
use crate::sql::db;

use super::PgStore;

fn size_of(c: &DocumentContent) -> Result<i64, StoreError> {
    i64::try_from(c.size).map_err(|_| {
        StoreError::Invalid(hcas_core::Error::new(
            hcas_core::ErrorCode::InvalidRequest,
            "document.size is too large",
        ))
    })
}

#[async_trait]
impl ContentStore for PgStore {
    async fn put_content(&self, content: DocumentContent) -> Result<(), StoreError> {
        content.validate()?;
        let done = sqlx::query(
            "INSERT INTO documents
               (id, object, kek_id, wrapped_key, content_type, size, sha256, chunk_size)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        )
        .bind(&content.id)
        .bind(&content.object)
        .bind(&content.wrapped_key.kek_id)
        .bind(&content.wrapped_key.bytes)
        .bind(&content.content_type)
        .bind(size_of(&content)?)
        .bind(&content.sha256)
        .bind(i64::from(content.chunk_size))
        .execute(self.pool())
        .await
        .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(document_taken(&content.id));
        }
        Ok(())
    }

    async fn get_content(&self, id: &str) -> Result<DocumentContent, StoreError> {
        let row: Option<ContentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CONTENT_COLUMNS} FROM documents WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        content_from_row(row.ok_or_else(|| no_document(id))?)
    }

    async fn delete_content(&self, id: &str) -> Result<(), StoreError> {
        // The dead row (and the WAL) keep the wrapped key until VACUUM and
        // WAL recycling: see docs/records.md, "Deleting".
        let done = sqlx::query("DELETE FROM documents WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await
            .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(no_document(id));
        }
        Ok(())
    }

    async fn replace_key(
        &self,
        id: &str,
        old: &WrappedKey,
        new: WrappedKey,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE documents SET kek_id = $1, wrapped_key = $2
             WHERE id = $3 AND kek_id = $4 AND wrapped_key = $5",
        )
        .bind(&new.kek_id)
        .bind(&new.bytes)
        .bind(id)
        .bind(&old.kek_id)
        .bind(&old.bytes)
        .execute(self.pool())
        .await
        .map_err(db)?;
        if done.rows_affected() == 1 {
            return Ok(true);
        }
        self.get_content(id).await.map(|_| false)
    }

    async fn contents_not_under(
        &self,
        kek_id: &str,
        limit: usize,
    ) -> Result<Vec<DocumentContent>, StoreError> {
        let rows: Vec<ContentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CONTENT_COLUMNS} FROM documents WHERE kek_id <> $1 ORDER BY id LIMIT $2"
        )))
        .bind(kek_id)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.into_iter().map(content_from_row).collect()
    }
}
