//! [`AccountStore`] for [`PgStore`], on the tables of
//! `migrations/postgres/20261203000001_accounts.sql`. Each call is one
//! statement (two for a refused rotation); a rotation is one conditional
//! `UPDATE`, so of two racing presentations of one `jti` only one rotates.

use async_trait::async_trait;
use hcas_core::Timestamp;

use crate::accounts::{
    RefreshSteps, check_registration, no_account, no_account_for, rotate_refresh, start_refresh,
    username_key, username_taken,
};
use crate::records::Patient;
use crate::sql::{AccountRow, account_from_row, db, json};
use crate::{Account, AccountStore, RefreshOutcome, StoreError, Stored};

use super::PgStore;
use super::records::{payload, unstorable};

#[async_trait]
impl AccountStore for PgStore {
    async fn create_account(&self, account: Account) -> Result<Account, StoreError> {
        account.validate()?;
        let done = sqlx::query(
            "INSERT INTO accounts
               (username_key, username, subject, roles, password_hash, created_s, disabled)
             VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7) ON CONFLICT (username_key) DO NOTHING",
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
        let text = payload(&patient, "patient")?;
        // One transaction for both rows; returning early drops it, which
        // rolls it back: both rows or neither. Both inserts are `ON CONFLICT
        // DO NOTHING` on their unique keys, so a racing registration of the
        // same username waits for the other's commit and then inserts nothing.
        let mut tx = self.pool().begin().await.map_err(db)?;
        let done = sqlx::query(
            "INSERT INTO patients (id, version, payload) VALUES ($1, 1, $2::jsonb)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&patient.id)
        .bind(&text)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::AlreadyExists {
                what: "patient",
                id: patient.id,
            });
        }
        let done = sqlx::query(
            "INSERT INTO accounts
               (username_key, username, subject, roles, password_hash, created_s, disabled)
             VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7) ON CONFLICT (username_key) DO NOTHING",
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
            version: 1,
        })
    }

    async fn account(&self, username: &str) -> Result<Account, StoreError> {
        if unstorable(username) {
            return Err(no_account(username));
        }
        let row: Option<AccountRow> = sqlx::query_as(
            "SELECT username, subject, roles::text, password_hash, created_s, disabled
             FROM accounts WHERE username_key = $1",
        )
        .bind(username_key(username))
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        account_from_row(row.ok_or_else(|| no_account(username))?)
    }

    async fn account_by_subject(&self, subject: &str) -> Result<Account, StoreError> {
        if unstorable(subject) {
            return Err(no_account_for(subject));
        }
        let row: Option<AccountRow> = sqlx::query_as(
            "SELECT username, subject, roles::text, password_hash, created_s, disabled
             FROM accounts WHERE subject = $1
             ORDER BY disabled DESC, username_key COLLATE \"C\" LIMIT 1",
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
        if unstorable(username) {
            return Err(no_account(username));
        }
        let row: Option<AccountRow> = sqlx::query_as(
            "UPDATE accounts SET disabled = $1 WHERE username_key = $2
             RETURNING username, subject, roles::text, password_hash, created_s, disabled",
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
impl RefreshSteps for PgStore {
    async fn insert_family(
        &self,
        family: &str,
        key: &str,
        jti: &str,
        expires: Timestamp,
    ) -> Result<bool, StoreError> {
        if unstorable(key) {
            return Ok(false);
        }
        let done = sqlx::query(
            "INSERT INTO refresh_families (family, username_key, jti, expires_s)
             SELECT $1, username_key, $2, $3 FROM accounts WHERE username_key = $4
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
            "UPDATE refresh_families SET jti = $1, expires_s = $2
             WHERE family = $3 AND jti = $4 AND revoked = FALSE AND expires_s > $5
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
            "UPDATE refresh_families SET revoked = TRUE
             WHERE family = $1 AND jti <> $2 AND revoked = FALSE",
        )
        .bind(family)
        .bind(jti)
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(revoked.rows_affected() == 1)
    }
}
