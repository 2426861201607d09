#Requires -RunAsAdministrator
# Reset Windows Update components (the classic "wuauserv / catroot2" reset).
$services = @("wuauserv", "cryptSvc", "bits", "msiserver")

Write-Host "Stopping update services..."
foreach ($name in $services) {
    Stop-Service -Name $name -Force -ErrorAction SilentlyContinue
}

$stamp = Get-Date -Format "yyyyMMdd-HHmmss"
$renames = @{
    "$env:SystemRoot\SoftwareDistribution"    = "SoftwareDistribution.$stamp.bak"
    "$env:SystemRoot\System32\catroot2"       = "catroot2.$stamp.bak"
}
foreach ($path in $renames.Keys) {
    if (Test-Path -LiteralPath $path) {
        Rename-Item -LiteralPath $path -NewName $renames[$path] -Force
        Write-Host "Renamed $path"
    }
}

& "$env:SystemRoot\System32\regsvr32.exe" /s wuaueng.dll
netsh winsock reset | Out-Null

foreach ($name in $services) {
    Start-Service -Name $name -ErrorAction SilentlyContinue
}
Write-Host "Done. A restart is recommended." -ForegroundColor Yellow
