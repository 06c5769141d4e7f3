// Sign-in, three ways (config.json "auth.mode"):
//   none    - development without auth: no token, straight in.
//   local   - `twschat serve --auth local`: a development token for a chosen user and role from the
//             gateway's POST /dev/token (user and role in the query string, token in the body).
//   cognito - Amazon Cognito managed login, OAuth 2.0 authorization code flow with PKCE (RFC 7636):
//             S256 challenge, a random state checked on return, code exchanged at /oauth2/token.
//             The ID token is what the WebSocket authorizer checks (`token` query parameter).
// Tokens live in sessionStorage (this tab only, gone when it closes), never in the URL bar: the
// redirect's ?code=&state= is removed with history.replaceState before anything else happens.

const TOKEN_KEY = "twschat.token";
const LOCAL_USER_KEY = "twschat.localUser";
const PKCE_KEY = "twschat.pkce";
const EXPIRY_SKEW_S = 30;

export function base64url(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString(byteCount) {
  const bytes = new Uint8Array(byteCount);
  crypto.getRandomValues(bytes);
  return base64url(bytes);
}

/** RFC 7636 S256: BASE64URL(SHA-256(ASCII(code_verifier))). */
export async function pkceChallenge(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** A JWT's claims, unverified: only to show the user and to notice expiry (the server verifies). */
export function tokenClaims(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(
      Array.from(atob(payload), (c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0")).join(""),
    );
    const claims = JSON.parse(json);
    return claims && typeof claims === "object" ? claims : null;
  } catch {
    return null;
  }
}

export class SignInError extends Error {}

/** "tws-chat.auth.us-east-1.amazoncognito.com" or a full origin (tests use a local http one). */
function cognitoBase(domain) {
  const value = String(domain || "").trim().replace(/\/+$/, "");
  return /^https?:\/\//i.test(value) ? value : `https://${value}`;
}

export class Auth {
  constructor(config, { storage = sessionStorage, location = window.location, history = window.history } = {}) {
    this.config = config || { mode: "none" };
    this.mode = this.config.mode || "none";
    this.storage = storage;
    this.location = location;
    this.history = history;
  }

  /** The current token ("" without auth; null when a sign-in is needed). */
  token() {
    if (this.mode === "none") return "";
    const token = this.storage.getItem(TOKEN_KEY);
    if (!token) return null;
    const claims = tokenClaims(token);
    if (!claims || typeof claims.exp !== "number") return token;
    return claims.exp - EXPIRY_SKEW_S > Date.now() / 1000 ? token : null;
  }

  /** Who is signed in, for the header and to keep each user's conversation apart. */
  identity() {
    if (this.mode === "none") return { id: "anonymous", user: "", roles: [] };
    const claims = tokenClaims(this.storage.getItem(TOKEN_KEY) || "") || {};
    return {
      id: String(claims.sub || ""),
      user: String(claims["cognito:username"] || claims.username || claims.email || claims.sub || ""),
      roles: Array.isArray(claims["cognito:groups"]) ? claims["cognito:groups"].map(String) : [],
    };
  }

  /** A token, renewed without the user when possible (local mode: the same user and role again). */
  async ensureToken() {
    const current = this.token();
    if (current !== null) return current;
    if (this.mode === "local") {
      const saved = JSON.parse(this.storage.getItem(LOCAL_USER_KEY) || "null");
      if (saved && saved.user) {
        try {
          await this.signInLocal(saved.user, saved.role);
          return this.token();
        } catch {
          return null;
        }
      }
    }
    return null;
  }

  async signInLocal(user, role) {
    const endpoint = new URL(this.config.tokenEndpoint || "/dev/token", this.location.href);
    endpoint.search = new URLSearchParams({ user, role: role || "" }).toString();
    const response = await fetch(endpoint, { method: "POST", cache: "no-store", credentials: "same-origin" });
    const body = await response.json().catch(() => ({}));
    if (!response.ok || typeof body.token !== "string") {
      throw new SignInError(body.message || `HTTP ${response.status}`);
    }
    this.storage.setItem(TOKEN_KEY, body.token);
    this.storage.setItem(LOCAL_USER_KEY, JSON.stringify({ user, role: role || "" }));
  }

  /** Cognito: to the managed login page; we come back to redirectUri with ?code=&state=. */
  async signInCognito() {
    const verifier = randomString(32); // 43 characters, the RFC's minimum length and entropy
    const state = randomString(16);
    this.storage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
    const params = new URLSearchParams({
      response_type: "code",
      client_id: this.config.clientId,
      redirect_uri: this.redirectUri(),
      scope: this.config.scope || "openid",
      state,
      code_challenge: await pkceChallenge(verifier),
      code_challenge_method: "S256",
    });
    this.location.assign(`${cognitoBase(this.config.domain)}/oauth2/authorize?${params}`);
  }

  redirectUri() {
    return this.config.redirectUri || `${this.location.origin}${this.location.pathname}`;
  }

  /**
   * On a return from the managed login: take ?code/state (or ?error) out of the URL bar first, check
   * the state against the one this tab saved (one use), and exchange the code for tokens.
   * Returns true when a sign-in was completed; throws SignInError on a failed one.
   */
  async completeRedirect() {
    if (this.mode !== "cognito") return false;
    const query = new URLSearchParams(this.location.search);
    if (!query.has("code") && !query.has("error")) return false;
    this.history.replaceState(null, "", this.location.pathname);
    const saved = JSON.parse(this.storage.getItem(PKCE_KEY) || "null");
    this.storage.removeItem(PKCE_KEY);
    if (query.has("error")) {
      throw new SignInError(query.get("error_description") || query.get("error"));
    }
    if (!saved || typeof saved.state !== "string" || saved.state !== query.get("state")) {
      throw new SignInError("state");
    }
    const response = await fetch(`${cognitoBase(this.config.domain)}/oauth2/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: this.config.clientId,
        code: query.get("code"),
        redirect_uri: this.redirectUri(),
        code_verifier: saved.verifier,
      }),
      credentials: "omit",
      cache: "no-store",
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok || typeof body.id_token !== "string") {
      throw new SignInError(body.error_description || body.error || `HTTP ${response.status}`);
    }
    this.storage.setItem(TOKEN_KEY, body.id_token);
    return true;
  }

  signOut() {
    for (const key of [TOKEN_KEY, LOCAL_USER_KEY, PKCE_KEY]) this.storage.removeItem(key);
    if (this.mode === "cognito" && this.config.logoutUri) {
      const params = new URLSearchParams({ client_id: this.config.clientId, logout_uri: this.config.logoutUri });
      this.location.assign(`${cognitoBase(this.config.domain)}/logout?${params}`);
    }
  }
}
