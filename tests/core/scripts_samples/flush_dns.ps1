# Flush the DNS client cache and re-register this machine's records.
Clear-DnsClientCache
ipconfig /flushdns | Out-Null
ipconfig /registerdns | Out-Null

$servers = Get-DnsClientServerAddress -AddressFamily IPv4 |
    Where-Object { $_.ServerAddresses.Count -gt 0 } |
    Select-Object InterfaceAlias, ServerAddresses

$servers | Format-Table -AutoSize
try {
    $answer = Resolve-DnsName -Name "{{test_host}}" -ErrorAction Stop | Select-Object -First 1
    Write-Output "Resolved {{test_host}} to $($answer.IPAddress)"
}
catch {
    Write-Warning "{{test_host}} does not resolve yet."
}
