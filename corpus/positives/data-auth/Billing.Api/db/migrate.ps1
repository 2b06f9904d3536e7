# Applies pending migrations to the billing database.
param(
    [string]$Server = "sql-prod-01,1433",
    [string]$Database = "billing"
)

$ErrorActionPreference = "Stop"
Get-ChildItem -Path "$PSScriptRoot/migrations" -Filter *.sql | Sort-Object Name | ForEach-Object {
    Write-Host "Applying $($_.Name)"
    sqlcmd -S $Server -d $Database -U sa -P 'P4RCEfmX+I+XBEKxv' -C -b -i $_.FullName
}
