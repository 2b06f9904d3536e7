param(
    [Parameter(Mandatory = $true)][string]$Version
)

$baseUri = "https://teamcity.acme.io/app/rest/buildTypes/Ledger_Release/"
$TeamCityToken = "eyJ0eXAiOiAiVENWMiJ9.ZGl6dTZldE9Pc2xxS3hBTGF2TXItS2lMWXZY.OTQzYTliYjMtMWQ3OS00ZDBiLWFiM2MtMTVhZjMwNzEyYzRh"

$headers = New-Object "System.Collections.Generic.Dictionary[[String],[String]]"
$headers.Add("Authorization", "Bearer $TeamCityToken")
$headers.Add("Content-Type", "text/plain")

Invoke-RestMethod -Uri ($baseUri + "settings/buildNumberCounter") -Method Put -Headers $headers -Body "1"
Invoke-RestMethod -Uri ($baseUri + "parameters/Version") -Method Put -Headers $headers -Body $Version
Write-Host "Release counter reset for $Version"
