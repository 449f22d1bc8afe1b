using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HaPortal.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class DrillResults : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "DrillResults",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Topology = table.Column<string>(type: "TEXT", nullable: false),
                    Revision = table.Column<int>(type: "INTEGER", nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", nullable: false),
                    Actor = table.Column<string>(type: "TEXT", nullable: false),
                    Succeeded = table.Column<bool>(type: "INTEGER", nullable: false),
                    UnavailableMs = table.Column<double>(type: "REAL", nullable: true),
                    Acknowledged = table.Column<int>(type: "INTEGER", nullable: false),
                    Lost = table.Column<int>(type: "INTEGER", nullable: false),
                    Duplicated = table.Column<int>(type: "INTEGER", nullable: false),
                    OldPrimary = table.Column<string>(type: "TEXT", nullable: false),
                    NewPrimary = table.Column<string>(type: "TEXT", nullable: true),
                    Summary = table.Column<string>(type: "TEXT", nullable: false),
                    TimelineJson = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DrillResults", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_DrillResults_Topology_At",
                table: "DrillResults",
                columns: new[] { "Topology", "At" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "DrillResults");
        }
    }
}
