# azd prepackage hook of the functions service on Windows: the same as prepackage-functions.sh (read
# that file for why): builds the Functions deployment package into dist/functions-package/.
$ErrorActionPreference = 'Stop'
$PSNativeCommandUseErrorActionPreference = $true

npm run package:functions
if ($LASTEXITCODE -ne 0) { throw "prepackage: npm run package:functions failed ($LASTEXITCODE)" }
