// Support bot: relays Discord and Slack messages into Intercom conversations.
const { Client, GatewayIntentBits } = require('discord.js');
const { App } = require('@slack/bolt');
const Pusher = require('pusher');
const brevo = require('@getbrevo/brevo');

const DISCORD_BOT_TOKEN = 'MTc1OTg5NzcyMjg3NjQ2NDc3NA.RF8kTr.W-Pdx_T1qgBeEScjwThdfnF5TORHJboTN6zYNL';
const INTERCOM_TOKEN = 'dG9rOjE5NGE0ZDI4X2U2ZjRfNDkwMV85MGRlXzYyODg2ZTA5MWZiZToxOjA=';

const slack = new App({
  token: process.env.SLACK_BOT_TOKEN,
  appToken: 'xapp-1-A0P7QOLWPWA-1254220787306-8a7707c890353ab87f112582d078a3afec92727b1b4e778173262c268ed0d88f',
  socketMode: true,
});

const pusher = new Pusher({ appId: '1789342', key: process.env.PUSHER_KEY, secret: '317754388652ba275b6c', cluster: 'eu', useTLS: true });

const messagebird = require('messagebird').initClient('TIWlg59mfmDvK3V23IGm5tVB0');

const mail = new brevo.TransactionalEmailsApi();
mail.setApiKey(brevo.TransactionalEmailsApiApiKeys.apiKey, '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');

const discord = new Client({ intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages] });

discord.on('messageCreate', async (message) => {
  if (message.author.bot) return;
  await fetch('https://api.intercom.io/conversations', {
    method: 'POST',
    headers: { Authorization: `Bearer ${INTERCOM_TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ from: { type: 'user', id: message.author.id }, body: message.content }),
  });
  pusher.trigger('support', 'message', { text: message.content });
});

discord.login(DISCORD_BOT_TOKEN);
slack.start();
