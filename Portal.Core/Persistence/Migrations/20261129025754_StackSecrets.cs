using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HaPortal.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class StackSecrets : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "StackSecrets",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Topology = table.Column<string>(type: "TEXT", nullable: false),
                    Protected = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_StackSecrets", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_StackSecrets_Topology",
                table: "StackSecrets",
                column: "Topology",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "StackSecrets");
        }
    }
}
