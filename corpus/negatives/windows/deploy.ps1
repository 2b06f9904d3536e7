param(
    [Parameter(Mandatory)] [securestring] $Password,
    [string] $Environment = "staging"
)

$apiKey = $env:API_KEY
$token = (Get-AzAccessToken -ResourceUrl "https://management.azure.com").Token
$secret = Get-AzKeyVaultSecret -VaultName "kv-$Environment" -Name "storage-account-key" -AsPlainText
$credential = New-Object System.Management.Automation.PSCredential ("deploy", $Password)

Invoke-RestMethod -Uri "https://api.larkspur.io/v1/deploy" -Headers @{ "x-api-key" = $apiKey } -Method Post
