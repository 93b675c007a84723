//! [`AccountStore`] for [`MemoryStore`]: two maps in the one locked state.

use async_trait::async_trait;
use hcas_core::Timestamp;

use crate::accounts::{
    RefreshSteps, check_registration, no_account, no_account_for, rotate_refresh, start_refresh,
    username_key, username_taken,
};
use crate::records::Patient;
use crate::{Account, AccountStore, RefreshOutcome, StoreError, Stored};

use super::MemoryStore;

/// A refresh-token family.
#[derive(Debug, Clone)]
pub(super) struct Family {
    username: String,
    jti: String,
    expires: Timestamp,
    revoked: bool,
}

#[async_trait]
impl AccountStore for MemoryStore {
    async fn create_account(&self, account: Account) -> Result<Account, StoreError> {
        account.validate()?;
        let mut s = self.state.lock().await;
        let key = username_key(&account.username);
        if s.accounts.contains_key(&key) {
            return Err(StoreError::AlreadyExists {
                what: "account",
                id: account.username,
            });
        }
        s.accounts.insert(key, account.clone());
        Ok(account)
    }

    async fn register_patient(
        &self,
        patient: Patient,
        account: Account,
    ) -> Result<Stored<Patient>, StoreError> {
        check_registration(&patient, &account)?;
        // One lock for both checks and both writes: nothing half-written.
        let mut s = self.state.lock().await;
        let key = username_key(&account.username);
        if s.accounts.contains_key(&key) {
            return Err(username_taken(account));
        }
        if s.patients.contains_key(&patient.id) {
            return Err(StoreError::AlreadyExists {
                what: "patient",
                id: patient.id,
            });
        }
        let stored = Stored {
            value: patient,
            version: 1,
        };
        s.patients.insert(stored.value.id.clone(), stored.clone());
        s.accounts.insert(key, account);
        Ok(stored)
    }

    async fn account(&self, username: &str) -> Result<Account, StoreError> {
        let s = self.state.lock().await;
        s.accounts
            .get(&username_key(username))
            .cloned()
            .ok_or_else(|| no_account(username))
    }

    async fn account_by_subject(&self, subject: &str) -> Result<Account, StoreError> {
        let s = self.state.lock().await;
        s.accounts
            .values()
            .filter(|a| a.subject == subject)
            .min_by_key(|a| (!a.disabled, username_key(&a.username)))
            .cloned()
            .ok_or_else(|| no_account_for(subject))
    }

    async fn set_account_disabled(
        &self,
        username: &str,
        disabled: bool,
    ) -> Result<Account, StoreError> {
        let mut s = self.state.lock().await;
        let a = s
            .accounts
            .get_mut(&username_key(username))
            .ok_or_else(|| no_account(username))?;
        a.disabled = disabled;
        Ok(a.clone())
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
impl RefreshSteps for MemoryStore {
    async fn insert_family(
        &self,
        family: &str,
        key: &str,
        jti: &str,
        expires: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut s = self.state.lock().await;
        if !s.accounts.contains_key(key) || s.families.contains_key(family) {
            return Ok(false);
        }
        s.families.insert(
            family.to_string(),
            Family {
                username: key.to_string(),
                jti: jti.to_string(),
                expires,
                revoked: false,
            },
        );
        Ok(true)
    }

    async fn rotate_current(
        &self,
        family: &str,
        jti: &str,
        next_jti: &str,
        expires: Timestamp,
        now: Timestamp,
    ) -> Result<Option<String>, StoreError> {
        let mut s = self.state.lock().await;
        match s.families.get_mut(family) {
            Some(f) if !f.revoked && f.jti == jti && now < f.expires => {
                f.jti = next_jti.to_string();
                f.expires = expires;
                Ok(Some(f.username.clone()))
            }
            _ => Ok(None),
        }
    }

    async fn revoke_unless_current(&self, family: &str, jti: &str) -> Result<bool, StoreError> {
        let mut s = self.state.lock().await;
        match s.families.get_mut(family) {
            Some(f) if !f.revoked && f.jti != jti => {
                f.revoked = true;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
