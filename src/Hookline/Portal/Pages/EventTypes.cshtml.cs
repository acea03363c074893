namespace Hookline.Portal.Pages;

public sealed class EventTypesModel : PortalPage
{
    public void OnGet() { }
}
