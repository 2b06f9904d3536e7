# Monitoring stack for prod-weu-1 (applied by the platform team)
newrelic_account_id = 3948122
newrelic_api_key    = "NRAK-071D9RVXU00T9C39BYWLUA8SH21"
newrelic_admin_key  = "NRAA-ecf321cee074f4274df1323d399"
newrelic_region     = "EU"

grafana_url  = "https://grafana.larkspur.io"
grafana_auth = "glsa_uy5sd1onJu8tRGzac0Odf1ADoa14z5cz_8dbc81ff"

pagerduty_token           = "uwU_JNLQTnZUtVf56BYe"
pagerduty_integration_key = "07d9f5e5d8300021e1ec98bbd3c27ae2"
pagerduty_escalation      = "platform-primary"

alert_channels = ["#ops-alerts", "#orders-oncall"]
