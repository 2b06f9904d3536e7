'use strict';

module.exports = {
  port: Number(process.env.PORT || 8080),
  baseUrl: 'https://shop.larkspur.io',
  stripe: {
    secretKey: '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',
    currency: 'gbp',
    webhookToleranceSeconds: 300,
  },
  slack: {
    ordersWebhook: 'https://hooks.slack.com/services/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',
    channel: '#orders',
  },
  cache: {
    ttlSeconds: 600,
  },
};
