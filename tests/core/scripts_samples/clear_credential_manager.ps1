<#
.SYNOPSIS
    Clears cached Windows credentials (Credential Manager) for the signed-in user.
.NOTES
    Run as the affected user, not as SYSTEM: cmdkey only sees the current profile.
#>
[CmdletBinding()]
param(
    [string]$TargetFilter = "*"
)

$ErrorActionPreference = "Stop"
$removed = 0

$entries = cmdkey /list | Where-Object { $_ -match "Target:" }
foreach ($entry in $entries) {
    $target = ($entry -split "Target:\s*", 2)[1].Trim()
    if ($target -like $TargetFilter) {
        Write-Verbose "Removing $target"
        cmdkey /delete:$target | Out-Null
        $removed++
    }
}

Write-Output "Removed $removed stored credential(s) matching '$TargetFilter'."
