export interface Credentials {
  username: string;
  password: string;
  otp?: string;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export const STORAGE_KEYS = {
  accessToken: "larkspurAccessToken",
  refreshToken: "larkspurRefreshToken",
  apiKey: "larkspurApiKeyCache",
} as const;

const passwordInputId = "newPasswordConfirmation";
const tokenRefreshEventName = "authTokenRefreshed";
const secretQuestionLabel = "Name of your first pet";

export function readTokens(): TokenPair | null {
  const accessToken = localStorage.getItem(STORAGE_KEYS.accessToken);
  const refreshToken = localStorage.getItem(STORAGE_KEYS.refreshToken);
  if (!accessToken || !refreshToken) return null;
  return { accessToken, refreshToken, expiresIn: 0 };
}

export async function login({ username, password }: Credentials): Promise<TokenPair> {
  const res = await fetch("/api/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (!res.ok) throw new Error(`login failed: ${res.status}`);
  const tokens: TokenPair = await res.json();
  localStorage.setItem(STORAGE_KEYS.accessToken, tokens.accessToken);
  localStorage.setItem(STORAGE_KEYS.refreshToken, tokens.refreshToken);
  return tokens;
}

export function passwordField(): HTMLInputElement | null {
  return document.getElementById(passwordInputId) as HTMLInputElement | null;
}

export function secretQuestion(): string {
  return secretQuestionLabel;
}

window.addEventListener(tokenRefreshEventName, () => readTokens());
