//! OpenID Connect login (SPEC §3): authorisation code flow with PKCE (S256), a nonce, and the state bound to
//! the browser's pre-login session. Each provider is configuration ([`ProviderConfig`]), discovered from its
//! issuer on first use. The ID token's signature, issuer, audience, expiry and nonce are checked by the
//! `openidconnect` crate; the identity claims (ID number and name, or USCC) are then read from that verified
//! token.

use base64::Engine as _;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use sscard_app::external::ExternalIdentity;
use sscard_domain::values::{IdNumber, PersonName, Uscc};
use tokio::sync::OnceCell;

/// What a provider asserts about the person logging in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Asserts {
    /// A natural person: ID number and name.
    Person,
    /// A legal person: the entity's USCC.
    Entity,
}

fn default_scopes() -> Vec<String> {
    vec!["profile".to_string()]
}
fn default_id_claim() -> String {
    "id_number".to_string()
}
fn default_name_claim() -> String {
    "name".to_string()
}
fn default_uscc_claim() -> String {
    "uscc".to_string()
}

/// One configured identity provider (a JSON array of these is `SSCARD_OIDC_PROVIDERS`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProviderConfig {
    /// URL-safe id used in the portal's paths: `/login/oidc/{id}`.
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub asserts: Asserts,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    #[serde(default = "default_id_claim")]
    pub id_number_claim: String,
    #[serde(default = "default_name_claim")]
    pub name_claim: String,
    #[serde(default = "default_uscc_claim")]
    pub uscc_claim: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("provider configuration: {0}")]
    Config(String),
    #[error("the provider could not be reached or discovered: {0}")]
    Unavailable(String),
    #[error("the provider's answer was refused: {0}")]
    Invalid(String),
    #[error("the provider did not assert {0}")]
    MissingClaim(String),
}

type Discovered =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// A provider, discovered lazily so that one unreachable provider does not stop the service from starting.
#[derive(Debug)]
pub struct OidcProvider {
    pub config: ProviderConfig,
    redirect: RedirectUrl,
    http: reqwest::Client,
    client: OnceCell<Discovered>,
}

/// What the browser is sent to, and what must be kept until the callback.
#[derive(Debug, Clone)]
pub struct Started {
    pub authorize_url: url::Url,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

impl OidcProvider {
    /// `redirect` is this service's callback URL for the provider, e.g.
    /// `https://sscard.example.gov.cn/login/oidc/gov/callback`.
    pub fn new(config: ProviderConfig, redirect: &str) -> Result<OidcProvider, OidcError> {
        if config.id.is_empty()
            || !config
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(OidcError::Config(format!(
                "provider id {:?} must be URL-safe",
                config.id
            )));
        }
        IssuerUrl::new(config.issuer.clone()).map_err(|e| OidcError::Config(format!("issuer: {e}")))?;
        let redirect =
            RedirectUrl::new(redirect.to_string()).map_err(|e| OidcError::Config(format!("redirect: {e}")))?;
        let http =
            crate::http_client(std::time::Duration::from_secs(15)).map_err(|e| OidcError::Config(e.to_string()))?;
        Ok(OidcProvider {
            config,
            redirect,
            http,
            client: OnceCell::new(),
        })
    }

    async fn client(&self) -> Result<&Discovered, OidcError> {
        self.client
            .get_or_try_init(|| async {
                let issuer =
                    IssuerUrl::new(self.config.issuer.clone()).map_err(|e| OidcError::Config(e.to_string()))?;
                let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
                    .await
                    .map_err(|e| OidcError::Unavailable(e.to_string()))?;
                Ok(CoreClient::from_provider_metadata(
                    metadata,
                    ClientId::new(self.config.client_id.clone()),
                    Some(ClientSecret::new(self.config.client_secret.clone())),
                )
                .set_redirect_uri(self.redirect.clone()))
            })
            .await
    }

    /// The authorisation request: where to send the browser, and the secrets to keep for the callback.
    pub async fn start(&self) -> Result<Started, OidcError> {
        let client = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for s in &self.config.scopes {
            request = request.add_scope(Scope::new(s.clone()));
        }
        let (authorize_url, state, nonce) = request.set_pkce_challenge(challenge).url();
        Ok(Started {
            authorize_url,
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code, verifies the ID token, and reads the asserted identity: `(subject, identity)`.
    pub async fn finish(
        &self,
        code: &str,
        nonce: &str,
        pkce_verifier: &str,
        today: chrono::NaiveDate,
    ) -> Result<(String, ExternalIdentity), OidcError> {
        let client = self.client().await?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| OidcError::Config(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Invalid(format!("token exchange: {e}")))?;
        let id_token = response
            .id_token()
            .ok_or_else(|| OidcError::Invalid("no ID token".into()))?;
        let claims = id_token
            .claims(&client.id_token_verifier(), &Nonce::new(nonce.to_string()))
            .map_err(|e| OidcError::Invalid(format!("ID token: {e}")))?;
        let subject = claims.subject().as_str().to_string();
        // The token was verified just above; its payload is read again for the provider-specific claims.
        let extra = payload(&id_token.to_string())?;
        let text = |name: &str| {
            extra
                .get(name)
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .ok_or_else(|| OidcError::MissingClaim(name.to_string()))
        };
        let identity = match self.config.asserts {
            Asserts::Person => ExternalIdentity::Person {
                id_number: IdNumber::parse(&text(&self.config.id_number_claim)?, today)
                    .map_err(|e| OidcError::Invalid(format!("ID number claim: {e}")))?,
                name: PersonName::parse(&text(&self.config.name_claim)?)
                    .map_err(|e| OidcError::Invalid(format!("name claim: {e}")))?,
            },
            Asserts::Entity => ExternalIdentity::Entity {
                uscc: Uscc::parse(&text(&self.config.uscc_claim)?)
                    .map_err(|e| OidcError::Invalid(format!("USCC claim: {e}")))?,
                name: text(&self.config.name_claim).unwrap_or_default(),
            },
        };
        Ok((subject, identity))
    }
}

fn payload(jwt: &str) -> Result<serde_json::Map<String, serde_json::Value>, OidcError> {
    let part = jwt
        .split('.')
        .nth(1)
        .ok_or_else(|| OidcError::Invalid("ID token is not a JWS".into()))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|e| OidcError::Invalid(e.to_string()))?;
    serde_json::from_slice(&bytes).map_err(|e| OidcError::Invalid(e.to_string()))
}

/// Parses `SSCARD_OIDC_PROVIDERS` (a JSON array of [`ProviderConfig`]).
pub fn parse_providers(json: &str) -> Result<Vec<ProviderConfig>, OidcError> {
    let list: Vec<ProviderConfig> = serde_json::from_str(json).map_err(|e| OidcError::Config(e.to_string()))?;
    let mut ids = std::collections::HashSet::new();
    for p in &list {
        if !ids.insert(p.id.clone()) {
            return Err(OidcError::Config(format!("provider id {:?} appears twice", p.id)));
        }
    }
    Ok(list)
}
