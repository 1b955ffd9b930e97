// Optional access scopes (`optional_scopes` in shopify.app.toml), asked of the merchant through
// App Bridge's Scopes API when they turn on the feature that needs them.

/** Asks the merchant to grant `scopes` (Shopify's permission modal) unless they are granted
 * already; true when every one is granted. */
export async function grantOptionalScopes(scopes: string[]): Promise<boolean> {
  const bridge = window.shopify;
  if (!bridge?.scopes) return false;
  const current = await bridge.scopes.query();
  if (scopes.every((scope) => current.granted.includes(scope))) return true;
  const answer = await bridge.scopes.request(scopes);
  return answer.result === "granted-all";
}
