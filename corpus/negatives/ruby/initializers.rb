# config/initializers/services.rb
Stripe.api_key = ENV.fetch("STRIPE_SECRET_KEY")
Stripe.api_version = "2024-06-20"

GEOCODER_API_KEY = ENV["GEOCODER_API_KEY"]
Geocoder.configure(lookup: :opencagedata, api_key: GEOCODER_API_KEY, timeout: 5, units: :km)

Aws.config.update(
  region: "eu-west-1",
  credentials: Aws::Credentials.new(
    Rails.application.credentials.dig(:aws, :access_key_id),
    Rails.application.credentials.dig(:aws, :secret_access_key)
  )
)

Rails.application.config.session_store :cookie_store, key: "_storefront_session", secure: Rails.env.production?
Devise.setup do |config|
  config.password_length = 12..128
  config.reset_password_within = 6.hours
  config.secret_key = Rails.application.secret_key_base
end
