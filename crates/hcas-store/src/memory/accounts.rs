//! [`AccountStore`] for [`MemoryStore`]: two maps in the one locked state.

use async_trait::async_trait;
use hcas_core::Timestamp;

use crate::accounts::{check_refresh_ids, presentable, username_key};
use crate::{Account, AccountStore, RefreshOutcome, StoreError};

use super::MemoryStore;

/// A refresh-token family.
#[derive(Debug, Clone)]
pub(super) struct Family {
    username: String,
    jti: String,
    expires: Timestamp,
    revoked: bool,
}

fn no_account(username: &str) -> StoreError {
    StoreError::NotFound {
        what: "account",
        id: username.to_string(),
    }
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

    async fn account(&self, username: &str) -> Result<Account, StoreError> {
        let s = self.state.lock().await;
        s.accounts
            .get(&username_key(username))
            .cloned()
            .ok_or_else(|| no_account(username))
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
        check_refresh_ids(family, jti)?;
        let mut s = self.state.lock().await;
        let key = username_key(username);
        if !s.accounts.contains_key(&key) {
            return Err(no_account(username));
        }
        if s.families.contains_key(family) {
            return Err(StoreError::AlreadyExists {
                what: "refresh family",
                id: family.to_string(),
            });
        }
        s.families.insert(
            family.to_string(),
            Family {
                username: key,
                jti: jti.to_string(),
                expires,
                revoked: false,
            },
        );
        Ok(())
    }

    async fn refresh_rotate(
        &self,
        family: &str,
        jti: &str,
        next_jti: &str,
        expires: Timestamp,
        now: Timestamp,
    ) -> Result<RefreshOutcome, StoreError> {
        if !presentable(family, jti) {
            return Ok(RefreshOutcome::Invalid);
        }
        check_refresh_ids(family, next_jti)?;
        let mut s = self.state.lock().await;
        let Some(f) = s.families.get_mut(family) else {
            return Ok(RefreshOutcome::Invalid);
        };
        if f.revoked {
            return Ok(RefreshOutcome::Invalid);
        }
        if f.jti != jti {
            f.revoked = true;
            return Ok(RefreshOutcome::Reused);
        }
        if now >= f.expires {
            return Ok(RefreshOutcome::Invalid);
        }
        f.jti = next_jti.to_string();
        f.expires = expires;
        Ok(RefreshOutcome::Rotated {
            username: f.username.clone(),
        })
    }
}
