import Stripe from 'stripe';
import { Client as AdyenClient, CheckoutAPI } from '@adyen/api-library';
import { Checkout } from 'checkout-sdk-node';
import { createMollieClient } from '@mollie/api-client';
import Razorpay from 'razorpay';
import { lemonSqueezySetup } from '@lemonsqueezy/lemonsqueezy.js';

export const stripe = new Stripe(process.env.STRIPE_SECRET_KEY!, { apiVersion: '2024-06-20' });
export const STRIPE_WEBHOOK_SECRET = 'whsec_whQdVBxLMI5oKKJxMvD82WQIyO4x04Tn';

const adyenClient = new AdyenClient({ apiKey: 'AQE8GmNhmfxCq/FR+PX7w/n/NsKkNAr5KtyjAhdNeX84wBROZMaIT6rsXFwk8nmczSgSr79+m6iIxRMH0l6XCJjISGROJ/aCJEfAm=-R7nplq8VZQiYdePhIxLgvDMSElbGSA4KV2qKPvuhyiz=', environment: 'LIVE', liveEndpointUrlPrefix: '1797a841fbb37ca7-LarkspurECOM' });
export const adyenCheckout = new CheckoutAPI(adyenClient);

export const cko = new Checkout('sk_sbox_oaikrpgrsjcpab76lxif3uib2o');

export const mollieClient = createMollieClient({ apiKey: 'live_AHgfk46OKY8eeIwGcXQVToJeEtkLbn' });

export const razorpay = new Razorpay({ key_id: 'rzp_live_NYJBHHlEd9qYas', key_secret: 'DLeGP5vxXShkqtNwDXlxVaNz' });

export const paypalConfig = {
  clientId: process.env.PAYPAL_CLIENT_ID,
  paypalClientSecret: 'EGmxKBAUWiYDcqQaSvOMjM7UzwPd2XEVUCMwnz1f7XittDpd3R8G3g4-0spOe9zqFCulGVQitj4lyZK9',
  mode: 'live',
};

export const plaidConfig = {
  clientId: process.env.PLAID_CLIENT_ID,
  plaidSecret: '8df50d6e8e647772a3016849c66857',
  env: 'production',
};

// Linked account for the treasury dashboard
export const TREASURY_PLAID_ACCESS_TOKEN = 'access-production-82fb51d1-35c3-40dd-8bef-8175e3a10389';

lemonSqueezySetup({ apiKey: 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiI5NGQ1OWNlZi1kYmI4LTRlYTUtYjE3OC1kMjU0MGZjZDY5MTkiLCJqdGkiOiJkN2VhOTc3Y2JjNTRjOTZkY2RkODU5ZGMwY2YzY2FmZWRiMWNhMTRiNGYwNzFjNzkzNmZmN2IzMzhmMjY0YWM2IiwiaWF0IjoxNzIxMzAwMDAwLCJuYmYiOjE3MjEzMDAwMDAsInN1YiI6IjQ3MTQ5NDMiLCJzY29wZXMiOltdfQ.S9iP5lrWbCbj-XFQ6RtiEPIBWCZyUyoW8gctTnj_Tm4xdhSx5UKaeZ_ft18aDk7VhABsRwPMmJgEJx58d7sGFgJh1SY9tXERD4XCFGeZ-ochq_61Z_OSgC4ekomDqEE64BPSO0fbbdor_juNYjtFI2920Hp3ecjWsICAUBFuPIxzQZg56_Lmfm_k-YYOxUGcWEVdmhNzJ6TDlKnP2xb4zzbb7DGy_Sxo7zpj8FuAeaxlq3i-Y_yCmL7YMfbx7wIcViQzYjK3cuh0ghQI_hr7CHsVaQ7whP98q9XOwSBh3ib9I3-dsbNRjJCOuH47vBI-HKaFtC5yzvY0P80oLLAM27' });
