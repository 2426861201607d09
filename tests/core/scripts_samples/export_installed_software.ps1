# List installed software (64- and 32-bit) to a CSV for the ticket.
$paths = @(
    "HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\*",
    "HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\*"
)
$software = Get-ItemProperty -Path $paths -ErrorAction SilentlyContinue |
    Where-Object { $_.DisplayName } |
    Select-Object DisplayName, DisplayVersion, Publisher, @{ Name = "Installed"; Expression = {
        if ($_.InstallDate -match '^\d{8}$') { [datetime]::ParseExact($_.InstallDate, "yyyyMMdd", $null) }
    } } |
    Sort-Object DisplayName -Unique

$out = Join-Path ([Environment]::GetFolderPath("Desktop")) "software-$env:COMPUTERNAME.csv"
$software | Export-Csv -Path $out -NoTypeInformation -Encoding UTF8
$summary = @"
Computer: $env:COMPUTERNAME
Programs: $($software.Count)
Saved to: $out
"@
Write-Output $summary
