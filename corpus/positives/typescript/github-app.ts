import { Octokit } from "@octokit/rest";

// Captured while debugging the webhook handler on 2024-05-14.
const installationToken = "ghs_z9PkCg42EwXUfRXT3dye3xtHLVQHis0txPFd";
const userAccessToken = "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";
const userRefreshToken = "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";

function octokitFor(token: string): Octokit {
  return new Octokit({ auth: token, userAgent: "larkspur-release-bot/1.4" });
}

export const appOctokit = octokitFor(installationToken);
export const userOctokit = octokitFor(userAccessToken);

export async function refreshUserAccess(clientId: string, clientSecret: string) {
  const params = new URLSearchParams([
    ["client_id", clientId],
    ["client_secret", clientSecret],
    ["grant_type", "refresh_token"],
    ["refresh_token", userRefreshToken],
  ]);
  const res = await fetch("https://github.com/login/oauth/access_token", {
    method: "POST",
    headers: { Accept: "application/json" },
    body: params,
  });
  return res.json();
}

export async function openReleasePr(owner: string, repo: string, head: string) {
  return appOctokit.rest.pulls.create({ owner, repo, head, base: "main", title: `Release ${head}` });
}
