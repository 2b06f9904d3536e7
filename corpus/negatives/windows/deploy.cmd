@echo off
rem Deploy helper. Credentials come from the build agent's environment.
setlocal
if "%API_KEY%"=="" (
  echo API_KEY is not set
  exit /b 1
)
set DB_PASSWORD=%~1
set CLIENT_SECRET=%AZURE_CLIENT_SECRET%
curl -fsS -H "x-api-key: %API_KEY%" https://api.larkspur.io/v1/health
sqlcmd -S larkspur-sql.database.windows.net -U deploy -P %DB_PASSWORD% -Q "select 1"
endlocal
