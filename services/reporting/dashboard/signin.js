// The dashboard's sign-in: a bearer token kept in this tab's session storage and sent as
// Authorization on every data and download request; never put in a URL the page requests.
"use strict";

(function () {
  const KEY = "polku.dashboard.token";
  const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

  const clean = (text) => (text || "").trim().replace(/^bearer\s+/i, "");

  function token() {
    try {
      return sessionStorage.getItem(KEY);
    } catch (_) {
      return null;  // storage disabled: only a sign-in proxy can sign the page in
    }
  }

  function store(value) {
    const t = clean(value);
    if (!JWT.test(t)) return false;
    try {
      sessionStorage.setItem(KEY, t);
      return true;
    } catch (_) {
      return false;
    }
  }

  // `polku up`'s development link ends in #token=…: the token moves into session storage and
  // out of the address bar, so it stays out of the history, bookmarks and shared screenshots.
  // The fragment never reaches the server.
  function takeFromAddress() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    if (!fragment.has("token")) return false;
    const value = fragment.get("token");
    fragment.delete("token");
    const rest = fragment.toString();
    history.replaceState(history.state, "",
      `${location.pathname}${location.search}${rest ? `#${rest}` : ""}`);
    return store(value);
  }

  function signOut() {
    try {
      sessionStorage.removeItem(KEY);
    } catch (_) { /* nothing stored */ }
  }

  // Without a stored token no Authorization is sent: a sign-in proxy in front of the page
  // (production) adds its own, and the data answers as for any signed-in request.
  function headers(extra) {
    const t = token();
    return t ? { ...extra, Authorization: `Bearer ${t}` } : { ...extra };
  }

  // The token's claims, for showing who is signed in; only the service can verify them.
  function claims() {
    const t = token();
    if (!t) return null;
    try {
      const part = t.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      const bytes = Uint8Array.from(atob(part), (ch) => ch.charCodeAt(0));
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (_) {
      return {};
    }
  }

  // A 401: no token, or one the service refused (expired, invalid).
  class SignInNeeded extends Error {}

  async function get(url, accept) {
    const response = await fetch(url, { headers: headers({ Accept: accept }) });
    if (response.status === 401) throw new SignInNeeded("401");
    if (!response.ok) throw new Error(`${response.status}`);
    return response;
  }

  // Saves a fetched file from a Blob: a link would need the token in its URL.
  async function save(response, fallbackName) {
    const blob = await response.blob();
    const named = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
    const name = named ? named[1] : fallbackName;
    const href = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = href;
    a.download = name;
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 60000);
    return { name, size: blob.size };
  }

  window.polkuAuth = {
    token, store, takeFromAddress, signOut, headers, claims, get, save, SignInNeeded };
})();
