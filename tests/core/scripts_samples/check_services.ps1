# Report and restart stopped automatic services (except the ones that are meant to stop).
$ignore = @("gupdate", "RemoteRegistry", "sppsvc", "edgeupdate", "MapsBroker")
$stopped = Get-CimInstance -ClassName Win32_Service -Filter "StartMode='Auto' AND State<>'Running'" |
    Where-Object { $ignore -notcontains $_.Name }

$report = foreach ($service in $stopped) {
    $result = "restarted"
    try {
        Start-Service -Name $service.Name -ErrorAction Stop
    }
    catch {
        $result = "failed: $($_.Exception.Message)"
    }
    [pscustomobject]@{
        Name   = $service.Name
        Title  = $service.DisplayName
        Result = $result
    }
}

switch ($report.Count) {
    0 { Write-Output "All automatic services are running." }
    default {
        $report | Sort-Object Name | Format-Table -AutoSize | Out-String | Write-Output
    }
}
