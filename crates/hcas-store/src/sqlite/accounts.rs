//! [`AccountStore`] for [`SqliteStore`], on the tables of
//! `migrations/sqlite/20261203000001_accounts.sql`. Each call is one
//! statement (two for a refused rotation), so SQLite's write lock makes it atomic.

use async_trait::async_trait;
use hcas_core::Timestamp;

use crate::accounts::{
    RefreshSteps, check_registration, no_account, no_account_for, rotate_refresh, start_refresh,
    username_key, username_taken,
};
use crate::records::Patient;
use crate::sql::{AccountRow, account_from_row, db, json};
use crate::{Account, AccountStore, RefreshOutcome, StoreError, Stored};

use super::SqliteStore;
use super::records::{PATIENTS, put_row};

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_account(&self, account: Account) -> Result<Account, StoreError> {
        account.validate()?;
        let done = sqlx::query(
            "INSERT INTO accounts
               (username_key, username, subject, roles, password_hash, created_s, disabled)
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (username_key) DO NOTHING",
        )
        .bind(username_key(&account.username))
        .bind(&account.username)
        .bind(&account.subject)
        .bind(json(&account.roles)?)
        .bind(&account.password_hash)
        .bind(account.created.unix())
        .bind(account.disabled)
        .execute(self.pool())
        .await
        .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::AlreadyExists {
                what: "account",
                id: account.username,
            });
        }
        Ok(account)
    }

    async fn register_patient(
        &self,
        patient: Patient,
        account: Account,
    ) -> Result<Stored<Patient>, StoreError> {
        check_registration(&patient, &account)?;
        // One `BEGIN IMMEDIATE` transaction for both rows; returning early
        // drops it, which rolls it back: both rows or neither.
        let mut tx = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db)?;
        let version = put_row(&mut tx, &PATIENTS, &patient.id, &patient, &[], None).await?;
        let done = sqlx::query(
            "INSERT INTO accounts
               (username_key, username, subject, roles, password_hash, created_s, disabled)
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (username_key) DO NOTHING",
        )
        .bind(username_key(&account.username))
        .bind(&account.username)
        .bind(&account.subject)
        .bind(json(&account.roles)?)
        .bind(&account.password_hash)
        .bind(account.created.unix())
        .bind(account.disabled)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(username_taken(account));
        }
        tx.commit().await.map_err(db)?;
        Ok(Stored {
            value: patient,
            version,
        })
    }

    async fn account(&self, username: &str) -> Result<Account, StoreError> {
        let row: Option<AccountRow> = sqlx::query_as(
            "SELECT username, subject, roles, password_hash, created_s, disabled
             FROM accounts WHERE username_key = ?",
        )
        .bind(username_key(username))
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        account_from_row(row.ok_or_else(|| no_account(username))?)
    }

    async fn account_by_subject(&self, subject: &str) -> Result<Account, StoreError> {
        let row: Option<AccountRow> = sqlx::query_as(
            "SELECT username, subject, roles, password_hash, created_s, disabled
             FROM accounts WHERE subject = ?
             ORDER BY disabled DESC, username_key LIMIT 1",
        )
        .bind(subject)
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        account_from_row(row.ok_or_else(|| no_account_for(subject))?)
    }

    async fn set_account_disabled(
        &self,
        username: &str,
        disabled: bool,
    ) -> Result<Account, StoreError> {
        let row: Option<AccountRow> = sqlx::query_as(
            "UPDATE accounts SET disabled = ? WHERE username_key = ?
             RETURNING username, subject, roles, password_hash, created_s, disabled",
        )
        .bind(disabled)
        .bind(username_key(username))
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        account_from_row(row.ok_or_else(|| no_account(username))?)
    }

    async fn refresh_start(
        &self,
        family: &str,
        username: &str,
        jti: &str,
        expires: Timestamp,
    ) -> Result<(), StoreError> {
        start_refresh(self, family, username, jti, expires).await
    }

    async fn refresh_rotate(
        &self,
        family: &str,
        jti: &str,
        next_jti: &str,
        expires: Timestamp,
        now: Timestamp,
    ) -> Result<RefreshOutcome, StoreError> {
        rotate_refresh(self, family, jti, next_jti, expires, now).await
    }
}

#[async_trait]
impl RefreshSteps for SqliteStore {
    async fn insert_family(
        &self,
        family: &str,
        key: &str,
        jti: &str,
        expires: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO refresh_families (family, username_key, jti, expires_s)
             SELECT ?, username_key, ?, ? FROM accounts WHERE username_key = ?
             ON CONFLICT (family) DO NOTHING",
        )
        .bind(family)
        .bind(jti)
        .bind(expires.unix())
        .bind(key)
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn rotate_current(
        &self,
        family: &str,
        jti: &str,
        next_jti: &str,
        expires: Timestamp,
        now: Timestamp,
    ) -> Result<Option<String>, StoreError> {
        let rotated: Option<(String,)> = sqlx::query_as(
            "UPDATE refresh_families SET jti = ?, expires_s = ?
             WHERE family = ? AND jti = ? AND revoked = 0 AND expires_s > ?
             RETURNING username_key",
        )
        .bind(next_jti)
        .bind(expires.unix())
        .bind(family)
        .bind(jti)
        .bind(now.unix())
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        Ok(rotated.map(|(key,)| key))
    }

    async fn revoke_unless_current(&self, family: &str, jti: &str) -> Result<bool, StoreError> {
        let revoked = sqlx::query(
            "UPDATE refresh_families SET revoked = 1
             WHERE family = ? AND jti <> ? AND revoked = 0",
        )
        .bind(family)
        .bind(jti)
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(revoked.rows_affected() == 1)
    }
}
