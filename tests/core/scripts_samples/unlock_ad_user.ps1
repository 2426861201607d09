#Requires -Modules ActiveDirectory
# Unlock an Active Directory account and show why it locked.
param(
    [Parameter(Mandatory = $true)]
    [string]$SamAccountName
)

Import-Module ActiveDirectory
$user = Get-ADUser -Identity $SamAccountName -Properties LockedOut, BadLogonCount, LastBadPasswordAttempt

if (-not $user.LockedOut) {
    Write-Output "$SamAccountName is not locked out."
    return
}

Unlock-ADAccount -Identity $SamAccountName
$pdc = (Get-ADDomain).PDCEmulator
$events = Get-WinEvent -ComputerName $pdc -FilterHashtable @{ LogName = "Security"; Id = 4740 } -MaxEvents 20 -ErrorAction SilentlyContinue |
    Where-Object { $_.Properties[0].Value -eq $SamAccountName }

Write-Output "Unlocked $SamAccountName (bad logons: $($user.BadLogonCount))."
foreach ($event in $events) {
    Write-Output ("Locked at {0} from {1}" -f $event.TimeCreated, $event.Properties[1].Value)
}
