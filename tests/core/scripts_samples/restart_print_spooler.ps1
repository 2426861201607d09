# Restart the Print Spooler and clear stuck jobs.
$spooler = "Spooler"
$queue = Join-Path $env:SystemRoot "System32\spool\PRINTERS"

try {
    Stop-Service -Name $spooler -Force -ErrorAction Stop
    Get-ChildItem -Path $queue -File -ErrorAction SilentlyContinue |
        Remove-Item -Force -ErrorAction SilentlyContinue
    Start-Service -Name $spooler
    $status = (Get-Service -Name $spooler).Status
    Write-Host "Spooler is $status" -ForegroundColor Green
}
catch {
    Write-Error "Could not restart the spooler: $($_.Exception.Message)"
    exit 1
}
