# Start Outlook with a fresh profile: the old one is kept, not deleted.
$ErrorActionPreference = "Stop"
$office = "HKCU:\Software\Microsoft\Office\16.0\Outlook"
$profileName = "Fresh-" + (Get-Date -Format "yyyyMMdd")

Get-Process -Name OUTLOOK -ErrorAction SilentlyContinue | Stop-Process -Force
Start-Sleep -Seconds 2

if (-not (Test-Path "$office\Profiles\$profileName")) {
    New-Item -Path "$office\Profiles" -Name $profileName -Force | Out-Null
}
Set-ItemProperty -Path $office -Name "DefaultProfile" -Value $profileName

$ost = Join-Path $env:LOCALAPPDATA "Microsoft\Outlook"
$large = Get-ChildItem -Path $ost -Filter *.ost -ErrorAction SilentlyContinue |
    Where-Object { $_.Length -gt 5GB }
if ($large) {
    Write-Warning "Large OST files found: $($large.Name -join ', ')"
}
Write-Output "Outlook will start with profile '$profileName'."
