#!/usr/bin/env bash
# Bootstrap credentials for the nightly CI jobs (flag sync, CRM sandbox refresh).
set -euo pipefail

export LD_API_KEY=api-62fa5353-9afa-4730-8921-781eb90f510b
ldcli flags list --project storefront --output json > flags.json

echo "force://PlatformCLI::5Aep861hyjL99dGaJR8LsvPoQwlf2xEcvIX7QNtgDuwCeCp6bpJvY2kGs8XvCJxftFK9yMgwPAEkIVMGgiXkqRB@larkspur.my.salesforce.com" > sfdx-auth-url.txt
sf org login sfdx-url --sfdx-url-file sfdx-auth-url.txt --alias prod --set-default

curl -sS https://larkspur.my.salesforce.com/services/data/v60.0/limits -H "Authorization: Bearer 00D2HASGZYIGRMG!AQqJyR.w4k72tarbAFs3Rx7EjyYLlNqDKcOuvv5gli1RvaOrC0V0c3ngfs1vFPMfuJK6anEhxvUmMLSu.8FAoAyvCvgVm9qQbD6"
