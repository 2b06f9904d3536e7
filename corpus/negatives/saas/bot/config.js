// Runtime configuration for the support bot. Secrets are injected by the platform.
const required = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`missing ${name}`);
  return value;
};

module.exports = {
  discordToken: required('DISCORD_BOT_TOKEN'),
  slackAppToken: required('SLACK_APP_TOKEN'),
  intercomToken: required('INTERCOM_ACCESS_TOKEN'),
  pusher: { appId: required('PUSHER_APP_ID'), secret: required('PUSHER_APP_SECRET'), cluster: 'eu' },
  messagebirdKey: required('MESSAGEBIRD_ACCESS_KEY'),
  resend: new (require('resend').Resend)(process.env.RESEND_API_KEY),
  mollieKey: process.env.MOLLIE_API_KEY,
  checkout: { secretKey: process.env.CKO_SECRET_KEY, publicKey: process.env.CKO_PUBLIC_KEY },
  bugsnag: { apiKey: process.env.BUGSNAG_API_KEY, releaseStage: process.env.NODE_ENV },
  rollbar: { accessToken: process.env.ROLLBAR_ACCESS_TOKEN },
  airtable: { apiKey: process.env.AIRTABLE_PAT, base: 'appQ7mZk2Lr9sN6bY' },
};
