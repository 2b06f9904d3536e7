'use strict';

const required = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
};

module.exports = {
  port: Number(process.env.PORT ?? 8080),
  anthropicApiKey: required('ANTHROPIC_API_KEY'),
  openaiApiKey: process.env.OPENAI_API_KEY ?? '',
  stripe: {
    secretKey: process.env.STRIPE_SECRET_KEY,
    webhookSecret: process.env.STRIPE_WEBHOOK_SECRET || '',
  },
  github: {
    token: process.env.GITHUB_TOKEN,
    appId: Number(process.env.GITHUB_APP_ID),
  },
  session: {
    secret: process.env.SESSION_SECRET || 'changeme',
    cookieName: 'larkspur.sid',
  },
  auth: {
    tokenHeader: 'X-Larkspur-Token',
    passwordMinLength: 12,
    passwordResetPath: '/account/password/reset',
  },
};
