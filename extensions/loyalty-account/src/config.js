// Where the app answers (shopify.app.toml's application_url; a test ties the two). Replace
// both when `shopify app config link` gives the deployment its URL.
export const APP_URL = "https://boomerang.example.com";
