$ErrorActionPreference = "Stop"
dotnet pack src/Acme.Ledger.Client -c Release -o artifacts
Get-ChildItem artifacts/*.nupkg | ForEach-Object {
    dotnet nuget push $_.FullName --api-key oy2wtnh1a9upjt5o1ol1hiqramytmfm64hbynf96hlqt8m --source https://api.nuget.org/v3/index.json --skip-duplicate
}
