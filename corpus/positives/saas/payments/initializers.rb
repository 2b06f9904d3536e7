# config/initializers/payments.rb
Braintree::Configuration.environment = :production
Braintree::Configuration.merchant_id = "mq2sd7vfx8k3p4tw"
Braintree::Configuration.public_key = ENV.fetch("BRAINTREE_PUBLIC_KEY")
Braintree::Configuration.private_key = "2a44b1d42f153d2425afce21f94ee271"

# PayPal wallet through Braintree
PAYPAL_GATEWAY = Braintree::Gateway.new(access_token: "access_token$production$vwdidqc6kjuivplj$708cd4532288a57e1c6f120838caf4b1")

# Square for the pop-up shop terminals
SQUARE_CLIENT = Square::Client.new(access_token: "EAAALWPzMtAZegqJR2bGHFA5350aqyNuIASZxJkxkb3ismkGIfZswrZVgLxXUJk8", environment: "production")
SQUARE_LEGACY_TOKEN = "sq0atp-YG7XuxyevxjQVkhvYXAPGt"
SQUARE_OAUTH = { application_id: "sq0idp-Qm4vP8wXaT2kLr9sN6bYcE", application_secret: "sq0csp-SGd1_AY9gTEGdQktMl9zaHt3LQFc1KtUtXfK5SOjimu" }

# Shopify storefront sync
ShopifyAPI::Context.setup(
  api_key: ENV.fetch("SHOPIFY_API_KEY"),
  api_secret_key: "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",
  host: "https://sync.larkspur.io",
  scope: "read_orders,write_products",
  is_embedded: false,
  api_version: "2024-07",
)
SHOPIFY_ADMIN_TOKEN = "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"
SHOPIFY_CUSTOM_APP_TOKEN = "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"
SHOPIFY_LEGACY_PASSWORD = "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"

# Direct debit
GOCARDLESS = GoCardlessPro::Client.new(access_token: "live_qbRVRIBETw6aTu-4NLt6N1JiJ6gdAhvlNrM0LdGO", environment: :live)
