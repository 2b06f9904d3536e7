# config/initializers/stripe.rb
Rails.configuration.stripe = {
  publishable_key: ENV.fetch("STRIPE_PUBLISHABLE_KEY", nil),
  currency: "gbp"
}

# Restricted key: charges and refunds only (created 2024-03-18 by @mhale)
Stripe.api_key = "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"
Stripe.api_version = "2024-06-20"
Stripe.max_network_retries = 2

# OpenCage geocoding for delivery addresses
GEOCODER_API_KEY = "fGCHUjWQeioBrZgDhBKlDSoIaRBNWcOX"
